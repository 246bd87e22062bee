import { inspect } from 'node:util';

export interface PollOptions {
  /** How long to poll before giving up (default 30 s). */
  timeoutMs?: number;
  /** The pause between two probes (default 100 ms). */
  intervalMs?: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const shown = (v: unknown) => (v instanceof Error ? `error: ${v.message}` : `value: ${inspect(v, { depth: 4, breakLength: Infinity })}`);

/**
 * Probes until `probe` returns something other than false, null or undefined without throwing
 * (an `expect` inside it is a probe too), and resolves with that. On time-out it fails naming
 * `what` it waited for and the last value or error the probe gave.
 */
export async function eventually<T>(what: string, probe: () => T | Promise<T>, opts: PollOptions = {}): Promise<Exclude<T, false | null | undefined>> {
  const { timeoutMs = 30_000, intervalMs = 100 } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      last = await probe();
      if (last !== false && last !== null && last !== undefined) return last as Exclude<T, false | null | undefined>;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last ${shown(last)}`, { cause: last });
    await pause(intervalMs);
  }
}

/**
 * Probes for `forMs` that `what` does not happen: `probe` answers what it saw when it happened
 * (anything but false, null or undefined) or throws (a failed `expect`); either fails at once,
 * naming `what`. The probe runs once more at the end, so the last state counts too.
 */
export async function expectNever(what: string, probe: () => unknown, opts: { forMs: number; intervalMs?: number }): Promise<void> {
  const deadline = Date.now() + opts.forMs;
  for (;;) {
    const done = Date.now() >= deadline;
    let seen: unknown;
    try {
      seen = await probe();
    } catch (err) {
      throw new Error(`${what} happened: ${shown(err)}`, { cause: err });
    }
    if (seen !== false && seen !== null && seen !== undefined) throw new Error(`${what} happened: ${shown(seen)}`);
    if (done) return;
    await pause(Math.min(opts.intervalMs ?? 100, Math.max(0, deadline - Date.now())));
  }
}
