import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { listenForChanges, type ChangeFeed } from '../../db/change-feed';
import { connect, type Database } from '../../db/client';
import { createReadCache } from '../../db/read-cache';
import { createLogger } from '../../lib/logger';
import { eventually } from '../support/eventually';
import { startProxy } from '../support/tcp-proxy';

const quiet = createLogger(undefined, 'silent');

/** A read that counts how often it ran. */
function countedRead() {
  const read = { count: 0, run: () => Promise.resolve(++read.count) };
  return read;
}

describe('database change feed and the caches that follow it', () => {
  let database: Database;
  let feed: ChangeFeed;
  // A table of this file's own with the projects' trigger: other files write projects all the while,
  // and each such statement dropped the reads these tests count.
  const table = `feed_${randomUUID().replaceAll('-', '')}`;
  const touchTable = () => database.sql`update modelregistry.${database.sql(table)} set id = id where false`;
  beforeAll(async () => {
    database = connect(inject('databaseUrl'), { max: 2 });
    await database.sql`create table modelregistry.${database.sql(table)} (id int)`;
    await database.sql`create trigger ${database.sql(`${table}_changed`)} after insert or update or delete or truncate on modelregistry.${database.sql(table)} for each statement execute function modelregistry.notify_table_change()`;
    feed = listenForChanges(inject('databaseUrl'), quiet);
    await eventually('the feed to listen', () => Promise.resolve(feed.live));
  });
  afterAll(async () => {
    await feed.close();
    await database.sql`drop table if exists modelregistry.${database.sql(table)}`;
    await database.close();
  });

  it('keeps a read until its table changes, then reads again (a statement that changes no row counts too)', async () => {
    const cache = createReadCache<number>(feed, table);
    const read = countedRead();
    expect(await cache.get('a', read.run)).toBe(1);
    expect(await cache.get('a', read.run)).toBe(1);
    expect(await cache.get('b', read.run)).toBe(2);
    await touchTable();
    await eventually('the cached reads to be dropped', async () => (await cache.get('a', read.run)) === 3);
    expect(await cache.get('b', read.run)).toBe(4);
    // Another table's change leaves it alone.
    await database.sql`update modelregistry.models set name = name where false`;
    await new Promise((r) => setTimeout(r, 200));
    expect(await cache.get('a', read.run)).toBe(3);
  });

  it('shares one read between concurrent misses, keeps no failed read, and bounds its size', async () => {
    const cache = createReadCache<number>(feed, table, 2);
    const read = countedRead();
    expect(await Promise.all([cache.get('a', read.run), cache.get('a', read.run)])).toEqual([1, 1]);
    await expect(cache.get('b', () => Promise.reject(new Error('down')))).rejects.toThrow('down');
    expect(await cache.get('b', read.run)).toBe(2);
    expect(await cache.get('c', read.run)).toBe(3); // a is dropped: at most two keys
    expect(await cache.get('a', read.run)).toBe(4);
  });

  it('bypasses the cache while the feed is cut, and drops what it held when the feed is back', async () => {
    const proxy = await startProxy(new URL(inject('databaseUrl')));
    const url = new URL(inject('databaseUrl'));
    url.host = `127.0.0.1:${proxy.port}`;
    const cut = listenForChanges(url.toString(), quiet, { retryMs: 100 });
    try {
      await eventually('the feed to listen', () => Promise.resolve(cut.live));
      const cache = createReadCache<number>(cut, table);
      const read = countedRead();
      expect(await cache.get('a', read.run)).toBe(1);
      expect(await cache.get('a', read.run)).toBe(1);
      await proxy.cut();
      await eventually('the feed to know it is cut', () => Promise.resolve(!cut.live));
      // Down for several retries: a change now would not be heard, so every read goes to the database.
      await new Promise((r) => setTimeout(r, 500));
      expect(await cache.get('a', read.run)).toBe(2);
      expect(await cache.get('a', read.run)).toBe(3);
      await proxy.restore();
      await eventually('the feed to listen again', () => Promise.resolve(cut.live), { timeoutMs: 10_000 });
      expect(await cache.get('a', read.run)).toBe(4);
      expect(await cache.get('a', read.run)).toBe(4);
      // And it hears changes again.
      await touchTable();
      await eventually('the change to be heard', async () => (await cache.get('a', read.run)) === 5);
    } finally {
      await cut.close();
      await proxy.close();
    }
  });
});
