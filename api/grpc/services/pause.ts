import { setTimeout as sleep } from 'node:timers/promises';

/** Waits `ms` for a streaming RPC's next look; false when the caller went away meanwhile (the stream just ends). */
export const pause = (ms: number, signal: AbortSignal): Promise<boolean> =>
  sleep(ms, true, { signal }).catch(() => false);
