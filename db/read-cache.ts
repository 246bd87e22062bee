import type { ChangeFeed } from './change-feed';

/**
 * Reads of one table's rows kept in memory while the change feed is live, all dropped when that
 * table changes. An entry is the read's promise, stored when the read starts: concurrent misses
 * share one query, and a change that arrives while it runs drops it, so the cache never keeps a
 * row older than the last change it was told of. A failed read is not kept. At most `max` keys
 * (the oldest goes first), so unknown names cannot grow it without bound.
 */
export function createReadCache<V>(changes: ChangeFeed | undefined, table: string, max = 10_000) {
  const entries = new Map<string, Promise<V>>();
  changes?.subscribe(table, () => entries.clear());
  return {
    get(key: string, read: () => Promise<V>): Promise<V> {
      if (!changes?.live) return read();
      const hit = entries.get(key);
      if (hit) return hit;
      if (entries.size >= max) entries.delete(entries.keys().next().value!);
      const reading = read();
      entries.set(key, reading);
      reading.catch(() => {
        if (entries.get(key) === reading) entries.delete(key);
      });
      return reading;
    },
  };
}
