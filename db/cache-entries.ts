import { and, asc, eq, sql } from 'drizzle-orm';
import type { Db } from './client';
import { cacheEntries, upstreams, virtualRegistries, virtualRegistryUpstreams } from './schema';

/**
 * The pull path's own reads and writes (issue #16): like the webhook inbox it is data plane, so it
 * records cache entries directly instead of through a workflow. Every lookup names the upstream, so
 * PostgreSQL prunes `cache_entries` to one hash partition.
 */

/** An upstream as the pull path uses it: the sealed secret stays sealed until a request needs it. */
export interface PullUpstream {
  id: string;
  name: string;
  url: string;
  position: number;
  cacheValidityHours: number;
  username: string | null;
  sealedSecret: string | null;
}

export interface PullTarget {
  registryId: string;
  tenant: string;
  /** In position order. */
  upstreams: PullUpstream[];
}

export type CacheEntry = typeof cacheEntries.$inferSelect;
export type NewCacheEntry = Omit<typeof cacheEntries.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * The pull path's reads, built once per database handle: every manifest or blob GET runs them, and
 * building a query (drizzle's SQL assembly) cost more of the API's CPU than PostgreSQL's answer.
 */
function prepareReads(db: Db) {
  const tenant = sql.placeholder('tenant');
  return {
    // The registry, left joined to its live upstreams, in position order.
    target: db
      .select({
        registryId: virtualRegistries.id,
        id: upstreams.id,
        name: upstreams.name,
        url: upstreams.url,
        position: virtualRegistryUpstreams.position,
        cacheValidityHours: upstreams.cacheValidityHours,
        credentialKind: upstreams.credentialKind,
        username: upstreams.username,
        sealedSecret: upstreams.sealedSecret,
      })
      .from(virtualRegistries)
      .leftJoin(virtualRegistryUpstreams, eq(virtualRegistryUpstreams.registryId, virtualRegistries.id))
      .leftJoin(upstreams, and(eq(upstreams.id, virtualRegistryUpstreams.upstreamId), eq(upstreams.isArchived, false)))
      .where(and(eq(virtualRegistries.tenantId, tenant), eq(virtualRegistries.name, sql.placeholder('name')), eq(virtualRegistries.isArchived, false)))
      .orderBy(asc(virtualRegistryUpstreams.position))
      .prepare('pull_target'),
    entry: db
      .select()
      .from(cacheEntries)
      .where(and(eq(cacheEntries.upstreamId, sql.placeholder('upstreamId')), eq(cacheEntries.relativePath, sql.placeholder('relativePath'))))
      .limit(1)
      .prepare('pull_cache_entry'),
    // `= any(array)`: one statement whatever the number of upstreams.
    entries: db
      .select()
      .from(cacheEntries)
      .where(and(sql`${cacheEntries.upstreamId} = any(${sql.placeholder('upstreamIds')}::uuid[])`, eq(cacheEntries.relativePath, sql.placeholder('relativePath'))))
      .prepare('pull_cache_entries'),
  };
}
const prepared = new WeakMap<Db, ReturnType<typeof prepareReads>>();
function readsOf(db: Db) {
  let reads = prepared.get(db);
  if (!reads) prepared.set(db, (reads = prepareReads(db)));
  return reads;
}

/**
 * A live virtual registry of a tenant with its upstreams, or null: one round trip (the registry, left
 * joined to its live upstreams), as every pull asks it first.
 */
export async function findPullTarget(db: Db, tenant: string, name: string): Promise<PullTarget | null> {
  const rows = await readsOf(db).target.execute({ tenant, name });
  if (rows.length === 0) return null;
  const list: PullUpstream[] = [];
  for (const { credentialKind, id, name: upstreamName, url, position, cacheValidityHours, username, sealedSecret } of rows) {
    if (id === null || upstreamName === null || url === null || position === null || cacheValidityHours === null) continue; // no upstreams, or an archived one
    const credential = credentialKind === 'basic' ? { username, sealedSecret } : { username: null, sealedSecret: null };
    list.push({ id, name: upstreamName, url, position, cacheValidityHours, ...credential });
  }
  return { registryId: rows[0]!.registryId, tenant, upstreams: list };
}

/** The entry of one upstream for one OCI path (a tag, a manifest digest or a blob). */
export async function findCacheEntry(db: Db, upstreamId: string, relativePath: string): Promise<CacheEntry | null> {
  const [row] = await readsOf(db).entry.execute({ upstreamId, relativePath });
  return row ?? null;
}

/** Entries of these upstreams for one path, any of them: content by digest is the same bytes whichever upstream gave it. */
export async function findCacheEntries(db: Db, upstreamIds: string[], relativePath: string): Promise<CacheEntry[]> {
  if (upstreamIds.length === 0) return [];
  return readsOf(db).entries.execute({ upstreamIds, relativePath });
}

/** Records (or replaces) the entry for an upstream's path, once its object is in the store. */
export async function upsertCacheEntry(db: Db, entry: NewCacheEntry): Promise<void> {
  const changed = Object.fromEntries(Object.entries(entry).filter(([k]) => k !== 'upstreamId' && k !== 'relativePath'));
  await db
    .insert(cacheEntries)
    .values(entry)
    .onConflictDoUpdate({ target: [cacheEntries.upstreamId, cacheEntries.relativePath], set: { ...changed, updatedAt: sql`now()` } });
}

/** The upstream answered that the entry is unchanged: valid for another `cache_validity_hours`. */
export async function markCacheEntryChecked(db: Db, upstreamId: string, relativePath: string): Promise<void> {
  await db
    .update(cacheEntries)
    .set({ upstreamCheckedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(cacheEntries.upstreamId, upstreamId), eq(cacheEntries.relativePath, relativePath)));
}

/**
 * A served entry is in use: `updated_at` is what the maintenance Schedule expires unused entries by.
 * At most once an hour per entry, so a hot blob does not cost a write per pull.
 */
export async function noteCacheEntryUsed(db: Db, entry: Pick<CacheEntry, 'upstreamId' | 'relativePath' | 'updatedAt'>): Promise<void> {
  // The row just read says it is recent: no round trip on a hot entry's pulls.
  if (Date.now() - Date.parse(entry.updatedAt) < 3_600_000) return;
  await db
    .update(cacheEntries)
    .set({ updatedAt: sql`now()` })
    .where(and(eq(cacheEntries.upstreamId, entry.upstreamId), eq(cacheEntries.relativePath, entry.relativePath), sql`${cacheEntries.updatedAt} < now() - interval '1 hour'`));
}
