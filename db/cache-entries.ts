import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { Db } from './client';
import { cacheEntries, upstreams, virtualRegistries, virtualRegistryUpstreams, virtualRegistryVersions } from './schema';
import { perDatabase } from './per-database';

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
  /** The tenant's virtual-registry version this was read at (virtual_registry_versions; 0 before any change was counted). */
  version: number;
  /**
   * Set on a resolution kept in memory, until a lookup has checked `version` in the same round trip
   * as its read (`findCacheEntry`, `findCacheEntries`): then it throws StaleTarget if it moved.
   */
  unverified?: boolean;
}

/** The registry, its list or an upstream changed since the resolution in memory was read: read it again. */
export class StaleTarget extends Error {}

export type CacheEntry = typeof cacheEntries.$inferSelect;
export type NewCacheEntry = Omit<typeof cacheEntries.$inferInsert, 'id' | 'createdAt' | 'updatedAt'>;

/**
 * The pull path's reads, built once per database handle: every manifest or blob GET runs them, and
 * building a query (drizzle's SQL assembly) cost more of the API's CPU than PostgreSQL's answer.
 */
function prepareReads(db: Db) {
  const tenant = sql.placeholder('tenant');
  const anyUpstream = sql`${cacheEntries.upstreamId} = any(${sql.placeholder('upstreamIds')}::uuid[])`;
  const samePath = eq(cacheEntries.relativePath, sql.placeholder('relativePath'));
  const checked = (upstream: SQL) =>
    db
      .select({ version: virtualRegistryVersions.version, entry: cacheEntries })
      .from(virtualRegistries)
      .leftJoin(virtualRegistryVersions, eq(virtualRegistryVersions.tenantId, virtualRegistries.tenantId))
      .leftJoin(cacheEntries, and(upstream, samePath))
      .where(eq(virtualRegistries.id, sql.placeholder('registryId')));
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
        version: virtualRegistryVersions.version,
      })
      .from(virtualRegistries)
      .leftJoin(virtualRegistryVersions, eq(virtualRegistryVersions.tenantId, virtualRegistries.tenantId))
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
      .where(and(anyUpstream, samePath))
      .prepare('pull_cache_entries'),
    // The same two, with the tenant's version read in the same statement: through the registry's row, one row even without entries.
    entryChecked: checked(eq(cacheEntries.upstreamId, sql.placeholder('upstreamId'))).limit(1).prepare('pull_cache_entry_checked'),
    entriesChecked: checked(anyUpstream).prepare('pull_cache_entries_checked'),
  };
}
const readsOf = perDatabase(prepareReads);

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
  return { registryId: rows[0]!.registryId, tenant, upstreams: list, version: rows[0]!.version ?? 0 };
}

/** A checked read's rows: the entries, once the version they came with is the target's (else StaleTarget). */
function verified(target: PullTarget, rows: { version: number | null; entry: CacheEntry | null }[]): CacheEntry[] {
  // No row: the registry's row itself is gone.
  if (rows.length === 0 || (rows[0]!.version ?? 0) !== target.version) throw new StaleTarget(`virtual registry ${target.registryId} changed`);
  target.unverified = false;
  return rows.flatMap((r) => (r.entry ? [r.entry] : []));
}

/** The entry of one of the target's upstreams for one OCI path (a tag, a manifest digest or a blob). */
export async function findCacheEntry(db: Db, target: PullTarget, upstreamId: string, relativePath: string): Promise<CacheEntry | null> {
  const reads = readsOf(db);
  if (target.unverified) return verified(target, await reads.entryChecked.execute({ registryId: target.registryId, upstreamId, relativePath }))[0] ?? null;
  const [row] = await reads.entry.execute({ upstreamId, relativePath });
  return row ?? null;
}

/** Entries of the target's upstreams for one path, any of them: content by digest is the same bytes whichever upstream gave it. */
export async function findCacheEntries(db: Db, target: PullTarget, relativePath: string): Promise<CacheEntry[]> {
  const upstreamIds = target.upstreams.map((u) => u.id);
  const reads = readsOf(db);
  if (target.unverified) return verified(target, await reads.entriesChecked.execute({ registryId: target.registryId, upstreamIds, relativePath }));
  if (upstreamIds.length === 0) return [];
  return reads.entries.execute({ upstreamIds, relativePath });
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
