/** Faults a test injects into the emulator: latency, failing operations, webhook mishaps, broken replication uploads. */
export class Faults {
  latencyMs = 0;
  private failures: { operationId: string; status: number; times: number; retryAfterSeconds?: number }[] = [];
  private delays: { operationId: string; ms: number; times: number }[] = [];
  webhookDrops = 0;
  webhookDuplicates = 0;
  /** While > 0, deliveries are held; when it reaches 0 the held ones go out in reverse order. */
  webhookReorder = 0;
  private replicationBlobs?: { after: number; uploads: number };

  /** The next `times` calls of `operationId` answer `status` (e.g. 500, 503, 429) instead. */
  failNext(operationId: string, status: number, times = 1, retryAfterSeconds?: number): this {
    this.failures.push({ operationId, status, times, retryAfterSeconds });
    return this;
  }

  /** The failure for this call, if one is armed; consumes it. */
  takeFailure(operationId: string): { status: number; retryAfterSeconds?: number } | undefined {
    const failure = this.failures.find((f) => f.operationId === operationId && f.times > 0);
    if (!failure) return undefined;
    failure.times--;
    return { status: failure.status, retryAfterSeconds: failure.retryAfterSeconds };
  }

  /** The next `times` calls of `operationId` take effect, then hold their answer back `ms` (a caller that dies meanwhile never learns of it). */
  delayResponse(operationId: string, ms: number, times = 1): this {
    this.delays.push({ operationId, ms, times });
    return this;
  }

  /** Whether an armed delay of `operationId` is still to be taken. */
  delayPending(operationId: string): boolean {
    return this.delays.some((d) => d.operationId === operationId && d.times > 0);
  }

  takeDelay(operationId: string): number {
    const delay = this.delays.find((d) => d.operationId === operationId && d.times > 0);
    if (!delay) return 0;
    delay.times--;
    return delay.ms;
  }

  /**
   * Replication jobs' blob uploads: the first `n` from now succeed, every later one breaks halfway
   * through its body (as a dropped connection would) until reset(). Harbor retries a blob
   * (`replication.blobRetries`), so the task fails once the tries run out.
   */
  failReplicationBlobAfter(n: number): this {
    this.replicationBlobs = { after: n, uploads: 0 };
    return this;
  }

  /** Whether this replication blob upload is to break; counts it. */
  takeReplicationBlobFailure(): boolean {
    if (!this.replicationBlobs) return false;
    return ++this.replicationBlobs.uploads > this.replicationBlobs.after;
  }

  dropWebhooks(count: number): this {
    this.webhookDrops += count;
    return this;
  }

  duplicateWebhooks(count: number): this {
    this.webhookDuplicates += count;
    return this;
  }

  reorderWebhooks(count: number): this {
    this.webhookReorder += count;
    return this;
  }

  reset(): void {
    this.latencyMs = 0;
    this.failures = [];
    this.delays = [];
    this.replicationBlobs = undefined;
    this.webhookDrops = this.webhookDuplicates = this.webhookReorder = 0;
  }
}
