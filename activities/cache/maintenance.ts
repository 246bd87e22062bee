import { and, eq, inArray, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cacheEntries, virtualRegistries, virtualRegistryUpstreams } from '../../db/schema';
import { parseCacheObjectKey } from '../../lib/cache-keys';
import { notFound } from '../../lib/failure-types';
import type { ObjectStore } from '../../lib/object-store';

/** What one batch removed: rows, the bytes they recorded, and the objects no row needed any more. */
export interface CacheRemoval {
  entries: number;
  bytes: number;
  objects: number;
}

/** Which entries a batch removes: an upstream's, a virtual registry's (optionally one model's), or those unused since a time. */
export type CacheEntryFilter =
  | { upstreamId: string }
  | { tenant: string; virtualRegistry: string; name?: string }
  | { unusedSince: string };

const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The cache's housekeeping, for its workflows (purge, upstream delete, expiry, orphans). Rows go
 * first, then objects no row points to any more: a crash in between leaves an orphan object, which
 * the orphan sweep removes, never a row without its object. Each batch is idempotent.
 */
export function createCacheMaintenanceActivities({ db, cache }: { db: Db; cache?: ObjectStore }) {
  const store = () => {
    if (!cache) throw new Error('no cache object store configured for the worker (CACHE_DIR or CACHE_STORAGE=s3)');
    return cache;
  };

  async function where(filter: CacheEntryFilter): Promise<SQL | null> {
    if ('upstreamId' in filter) return eq(cacheEntries.upstreamId, filter.upstreamId);
    if ('unusedSince' in filter) return lt(cacheEntries.updatedAt, filter.unusedSince);
    const [registry] = await db
      .select({ id: virtualRegistries.id })
      .from(virtualRegistries)
      .where(and(eq(virtualRegistries.tenantId, filter.tenant), eq(virtualRegistries.name, filter.virtualRegistry), eq(virtualRegistries.isArchived, false)));
    if (!registry) throw notFound(`no virtual registry "${filter.virtualRegistry}" in tenant ${filter.tenant}`);
    const ids = (await db.select({ id: virtualRegistryUpstreams.upstreamId }).from(virtualRegistryUpstreams).where(eq(virtualRegistryUpstreams.registryId, registry.id))).map((r) => r.id);
    if (ids.length === 0) return null;
    const own = inArray(cacheEntries.upstreamId, ids);
    if (filter.name === undefined) return own;
    // `v2/<name>/manifests/…` and `v2/<name>/blobs/…`: the model's entries, not those of `<name>/more`.
    const name = likeEscape(filter.name);
    return and(own, sql`(${cacheEntries.relativePath} LIKE ${`v2/${name}/manifests/%`} OR ${cacheEntries.relativePath} LIKE ${`v2/${name}/blobs/%`})`)!;
  }

  /** Objects among `keys` that no entry points to now. */
  async function unreferenced(keys: string[]): Promise<string[]> {
    const byUpstream = new Map<string, { key: string; digest: string }[]>();
    for (const key of keys) {
      const parsed = parseCacheObjectKey(key);
      if (parsed) byUpstream.set(parsed.upstreamId, [...(byUpstream.get(parsed.upstreamId) ?? []), { key, digest: parsed.digest }]);
    }
    const orphans: string[] = [];
    for (const [upstreamId, group] of byUpstream) {
      // By upstream and digest: the index (upstream_id, digest), in one partition.
      const used = await db
        .selectDistinct({ key: cacheEntries.objectStorageKey })
        .from(cacheEntries)
        .where(and(eq(cacheEntries.upstreamId, upstreamId), inArray(cacheEntries.digest, [...new Set(group.map((g) => g.digest))])));
      const live = new Set(used.map((u) => u.key));
      orphans.push(...group.filter((g) => !live.has(g.key)).map((g) => g.key));
    }
    return orphans;
  }

  return {
    /** Removes up to `limit` entries the filter selects, then the objects no entry needs any more. */
    async removeCacheEntries(input: { filter: CacheEntryFilter; limit: number }): Promise<CacheRemoval> {
      const condition = await where(input.filter);
      if (!condition) return { entries: 0, bytes: 0, objects: 0 };
      const batch = db.select({ upstreamId: cacheEntries.upstreamId, id: cacheEntries.id }).from(cacheEntries).where(condition).limit(input.limit);
      const removed = await db
        .delete(cacheEntries)
        .where(sql`(${cacheEntries.upstreamId}, ${cacheEntries.id}) IN (${batch})`)
        .returning({ key: cacheEntries.objectStorageKey, size: cacheEntries.size });
      const keys = [...new Set(removed.map((r) => r.key))];
      const orphans = await unreferenced(keys);
      for (const key of orphans) await store().delete(key);
      return { entries: removed.length, bytes: removed.reduce((sum, r) => sum + r.size, 0), objects: orphans.length };
    },

    /** Up to `limit` objects in our key layout that no entry points to (the sweep's first look). */
    async findOrphanObjects(input: { limit: number }): Promise<string[]> {
      const found: string[] = [];
      let page: string[] = [];
      const flush = async () => {
        found.push(...(await unreferenced(page)));
        page = [];
      };
      for await (const key of store().list('')) {
        page.push(key);
        if (page.length === 500) await flush();
        if (found.length >= input.limit) break;
      }
      await flush();
      return found.slice(0, input.limit);
    },

    /** Removes what fills left in the store when their process died (ObjectStore.sweepUnfinished) untouched for `olderThanHours`. */
    async sweepUnfinishedUploads(input: { olderThanHours: number }): Promise<number> {
      return store().sweepUnfinished(new Date(Date.now() - input.olderThanHours * 3600_000));
    },

    /** Deletes those of `keys` still unreferenced (a pull may have committed an entry since the first look). */
    async deleteOrphanObjects(keys: string[]): Promise<number> {
      const orphans = await unreferenced(keys);
      for (const key of orphans) await store().delete(key);
      return orphans.length;
    },
  };
}
