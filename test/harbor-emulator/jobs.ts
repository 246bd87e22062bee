/** Work the emulator's job service does after answering (retention and GC executions); `idle()` waits for it. */
export class BackgroundJobs {
  private readonly running = new Set<Promise<void>>();

  /** `settled` runs after each job (the state file is written then). */
  constructor(private readonly settled: () => void = () => {}) {}

  run(job: () => Promise<void>): void {
    const p = job().finally(() => {
      this.running.delete(p);
      this.settled();
    });
    this.running.add(p);
  }

  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }
}
