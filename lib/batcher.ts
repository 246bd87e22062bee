/**
 * Group commit's queue ("natural batching"): an item submitted while a flush runs waits for the
 * next one, which takes everything queued by then (up to `maxBatch`) as soon as a flush finishes.
 * There is no timer: at low load an item is flushed on its own at once, and batches grow only as
 * items arrive faster than a flush takes. At most `concurrency` flushes run at a time (default 1).
 *
 * `flush` settles each item of its batch in order (one bad item need not fail the others); if it
 * throws, every item of the batch fails with its error.
 */
export function createBatcher<I, O>(flush: (items: I[]) => Promise<PromiseSettledResult<O>[]>, opts: { maxBatch: number; concurrency?: number }) {
  const concurrency = opts.concurrency ?? 1;
  const queue: { item: I; resolve: (value: O) => void; reject: (reason: unknown) => void }[] = [];
  let running = 0;
  let scheduled = false;

  async function flushBatch(batch: typeof queue) {
    let results: PromiseSettledResult<O>[];
    try {
      results = await flush(batch.map((b) => b.item));
    } catch (err) {
      for (const b of batch) b.reject(err);
      return;
    }
    batch.forEach((b, i) => {
      const result = results[i];
      if (result?.status === 'fulfilled') b.resolve(result.value);
      else b.reject(result ? result.reason : new Error(`the flush settled ${results.length} of ${batch.length} items`));
    });
  }

  function pump() {
    scheduled = false;
    while (running < concurrency && queue.length > 0) {
      running++;
      void flushBatch(queue.splice(0, opts.maxBatch)).finally(() => {
        running--;
        pump();
      });
    }
  }

  return {
    /** Resolves with the item's result once its batch is flushed. */
    submit(item: I): Promise<O> {
      return new Promise<O>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        // A microtask, not a timer: whatever is submitted in the same turn of the event loop joins the batch.
        if (!scheduled && running < concurrency) {
          scheduled = true;
          queueMicrotask(pump);
        }
      });
    },
  };
}
export type Batcher<I, O> = ReturnType<typeof createBatcher<I, O>>;
