import { describe, expect, it } from 'vitest';
import { createBatcher } from '../../lib/batcher';

/** A flush that records its batches and answers each item doubled, until `release` lets it finish. */
function recorder() {
  const batches: number[][] = [];
  const waiting: (() => void)[] = [];
  const flush = async (items: number[]): Promise<PromiseSettledResult<number>[]> => {
    batches.push(items);
    await new Promise<void>((resolve) => waiting.push(resolve));
    return items.map((i) => (i < 0 ? { status: 'rejected', reason: new Error(`bad ${i}`) } : { status: 'fulfilled', value: i * 2 }));
  };
  const release = async () => {
    while (waiting.length === 0) await new Promise((r) => setImmediate(r));
    waiting.shift()!();
  };
  return { batches, flush, release };
}

describe('createBatcher (natural batching)', () => {
  it('flushes a lone item at once, and what arrives during a flush in the next one', async () => {
    const { batches, flush, release } = recorder();
    const batcher = createBatcher(flush, { maxBatch: 10 });
    const first = batcher.submit(1);
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]);
    const later = [2, 3, 4].map((i) => batcher.submit(i));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1]]); // waiting for the running flush, not flushed one by one
    await release();
    await expect(first).resolves.toBe(2);
    await release();
    await expect(Promise.all(later)).resolves.toEqual([4, 6, 8]);
    expect(batches).toEqual([[1], [2, 3, 4]]);
  });

  it('takes what is submitted in the same turn together, and at most maxBatch items a flush', async () => {
    const { batches, flush, release } = recorder();
    const batcher = createBatcher(flush, { maxBatch: 3 });
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => batcher.submit(i)));
    await release();
    await release();
    await expect(all).resolves.toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2, 3], [4, 5]]);
  });

  it('runs up to `concurrency` flushes at a time', async () => {
    const { batches, flush, release } = recorder();
    const batcher = createBatcher(flush, { maxBatch: 2, concurrency: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((i) => batcher.submit(i)));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([[1, 2], [3, 4]]);
    for (let i = 0; i < 3; i++) await release();
    await expect(all).resolves.toEqual([2, 4, 6, 8, 10]);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails only the items the flush rejects, and every item of a flush that throws; the next batch still runs', async () => {
    const { flush, release } = recorder();
    const batcher = createBatcher(flush, { maxBatch: 10 });
    const results = Promise.allSettled([1, -2, 3].map((i) => batcher.submit(i)));
    await release();
    expect((await results).map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([2, 'bad -2', 6]);

    let calls = 0;
    const throwing = createBatcher<number, number>(async (items) => {
      if (calls++ === 0) throw new Error('connection lost');
      return items.map((i) => ({ status: 'fulfilled', value: i }));
    }, { maxBatch: 10 });
    const failed = Promise.allSettled([1, 2].map((i) => throwing.submit(i)));
    expect((await failed).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    await expect(throwing.submit(3)).resolves.toBe(3);
  });

  it('fails the items a flush leaves unsettled instead of leaving them waiting', async () => {
    const batcher = createBatcher<number, number>(async () => [{ status: 'fulfilled', value: 1 }], { maxBatch: 10 });
    const results = await Promise.allSettled([batcher.submit(1), batcher.submit(2)]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1]).toMatchObject({ status: 'rejected', reason: { message: 'the flush settled 1 of 2 items' } });
  });
});
