import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full collection on demand, without starting the test workers with --expose-gc.
setFlagsFromString('--expose-gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Bytes the process holds (JS heap and array buffers), garbage left out. Two full collections: V8
 * frees dead array buffers on a sweeper after a collection, and the next one waits for it, so one
 * alone still counts the garbage it found (up to a whole 200 MB blob's chunks).
 */
export function heldBytes(): number {
  collect();
  collect();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers;
}
