import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection on demand, without starting the test workers with --expose-gc.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Bytes this process holds live (JS heap and array buffers) after a full collection: what a stream
 * keeps, without the garbage a fast copy leaves behind between collections (which once read 234 MB
 * for a copy that held a few buffers).
 */
export function liveBytes(): number {
  collect();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
