/**
 * The emulator's time for what ages artifacts: push and pull times, retention's and GC's "now".
 * Tests move it forward instead of waiting; it never goes back, as a real clock would not. The
 * offset lives in the state, so a snapshot keeps it.
 */
export class EmulatorClock {
  constructor(private readonly state: { clockOffsetMs: number }) {}

  nowMs(): number {
    return Date.now() + this.state.clockOffsetMs;
  }

  now(): string {
    return new Date(this.nowMs()).toISOString();
  }

  advance(ms: number): void {
    if (!(ms >= 0)) throw new Error(`the emulator's clock only goes forward (advance by ${ms})`);
    this.state.clockOffsetMs += ms;
  }
}
