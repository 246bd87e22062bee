import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/object-store';

/**
 * The cache's store as the pull path reads it: a store that fails (S3 unreachable, a disk error) is a
 * cache that has nothing, not a failed pull. Its reads answer null, so the upstreams serve; its writes
 * fail as they do, and the pull serves what it fetched without caching it (blobs.ts, manifests.ts).
 */
export function withStoreOutages(store: ObjectStore, logger: Pick<Logger, 'warn'>): ObjectStore {
  const absent = (op: string, key: string) => (err: unknown) => {
    logger.warn({ op, key, store: store.kind, err: (err as Error).message }, 'the cache store failed: pulled without it');
    return null;
  };
  const { open } = store;
  return {
    kind: store.kind,
    put: (key, body, size) => store.put(key, body, size),
    get: (key, range) => store.get(key, range).catch(absent('get', key)),
    ...(open ? { open: (key: string) => open.call(store, key).catch(absent('open', key)) } : {}),
    head: (key) => store.head(key).catch(absent('head', key)),
    delete: (key) => store.delete(key),
    list: (prefix) => store.list(prefix),
    sweepUnfinished: (before) => store.sweepUnfinished(before),
  };
}
