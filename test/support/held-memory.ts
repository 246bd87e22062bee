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

/**
 * The peak growth of held memory from now until `stop()`, sampled every 20 ms. The baseline leaves out
 * garbage (a push before can leave a whole blob of it, which would hide a copy that holds one). A
 * sample is read as is, garbage included, unless that is over `limit`: then what stays after full
 * collections, as garbage is no memory the code under test holds.
 */
export function sampleHeldGrowth(limit: number): { stop(): number } {
  const baseline = heldBytes();
  const growth = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    const read = heapUsed + arrayBuffers - baseline;
    return read < limit ? read : heldBytes() - baseline;
  };
  let peak = 0;
  const sampler = setInterval(() => (peak = Math.max(peak, growth())), 20);
  return {
    stop() {
      clearInterval(sampler);
      return Math.max(peak, growth());
    },
  };
}
