import { continueAsNew, defineQuery, patched, proxyActivities, setHandler, sleep, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CacheEntryFilter, CacheRemoval } from '../activities/cache/maintenance';
import type { Actor } from './actor';
import { profiles } from './activity-options';

const cache = proxyActivities<Activities>(profiles.cache);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

/** Rows removed per activity: a batch stays well inside the activity's time-out and the payload limits. */
const BATCH = 500;

export const cacheRemovalProgressQuery = defineQuery<CacheRemoval>('progress');

const add = (a: CacheRemoval, b: CacheRemoval): CacheRemoval => ({ entries: a.entries + b.entries, bytes: a.bytes + b.bytes, objects: a.objects + b.objects });
const none = (): CacheRemoval => ({ entries: 0, bytes: 0, objects: 0 });

/** Removes every entry the filter selects, batch after batch; `progress` answers the query meanwhile. */
export async function removeAllCacheEntries(filter: CacheEntryFilter, progress: CacheRemoval = none()): Promise<CacheRemoval> {
  let total = progress;
  setHandler(cacheRemovalProgressQuery, () => total);
  for (;;) {
    const batch = await cache.removeCacheEntries({ filter, limit: BATCH });
    total = add(total, batch);
    if (batch.entries < BATCH) return total;
  }
}

export interface CachePurgeInput {
  tenant: string;
  virtualRegistry: string;
  /** One model's entries only (its manifests and blobs by name). */
  name?: string;
  actor: Actor;
}

/**
 * Empties a virtual registry's cache (the entries of its upstreams, which every registry using them
 * shares), or one model's part of it; objects go when no entry needs them any more. Audited and
 * published as `modelregistry.virtual_registry.cache_purged`.
 */
export async function virtualRegistryCachePurgeWorkflow(input: CachePurgeInput): Promise<CacheRemoval> {
  const removed = await removeAllCacheEntries({ tenant: input.tenant, virtualRegistry: input.virtualRegistry, name: input.name });
  const subject = `tenants/${input.tenant}/virtual-registries/${input.virtualRegistry}`;
  const event = { id: uuid4(), type: 'modelregistry.virtual_registry.cache_purged', subject, time: new Date().toISOString(), data: { ...(input.name ? { name: input.name } : {}), removed } };
  await db.recordAudit({ eventKey: event.id, actor: input.actor.username, action: 'virtual_registry.cache_purged', resource: subject, details: { tenant: input.tenant, actorSubject: input.actor.subject, ...(input.name ? { name: input.name } : {}), ...removed } });
  await events.publishEvent(event);
  return removed;
}

export interface CacheMaintenanceInput {
  /** Entries neither served nor re-checked for this many days go. */
  unusedDays: number;
  /** How long an object must stay unreferenced between two looks before it is deleted. */
  orphanGraceSeconds: number;
  /**
   * What a fill left in the store when its process died (a temporary file, a multipart upload) goes
   * once untouched for this many hours; 24 when not given (Schedules created before it was added).
   * A fill still running writes far more often than that.
   */
  unfinishedAgeHours?: number;
}

export interface CacheMaintenanceResult {
  expired: CacheRemoval;
  orphansDeleted: number;
  unfinishedRemoved: number;
}

/** Runs recorded before the sweep of unfinished fills was added replay without it. */
const SWEEP_UNFINISHED_PATCH = 'sweep-unfinished-fills';

/** Orphans looked at per round; more rounds continue as new. */
const ORPHAN_ROUND = 1000;

/**
 * The cache's Schedule (`virtual-registry-cache-maintenance`): expires entries unused for
 * `unusedDays` (a later pull fetches them again), removes what fills that died half way left in the
 * store, then removes objects no entry points to. An
 * object is written whole before its entry is inserted, so one seen unreferenced twice,
 * `orphanGraceSeconds` apart, is no pull's in flight.
 */
export async function cacheMaintenanceWorkflow(input: CacheMaintenanceInput, carried?: CacheMaintenanceResult): Promise<CacheMaintenanceResult> {
  let result: CacheMaintenanceResult = { expired: none(), orphansDeleted: 0, unfinishedRemoved: 0, ...carried };
  if (!carried) {
    const cutoff = new Date(Date.now() - input.unusedDays * 24 * 3600 * 1000).toISOString();
    result = { ...result, expired: await removeAllCacheEntries({ unusedSince: cutoff }) };
    if (patched(SWEEP_UNFINISHED_PATCH)) result = { ...result, unfinishedRemoved: await cache.sweepUnfinishedUploads({ olderThanHours: input.unfinishedAgeHours ?? 24 }) };
  }
  setHandler(cacheRemovalProgressQuery, () => result.expired);
  const orphans = await cache.findOrphanObjects({ limit: ORPHAN_ROUND });
  if (orphans.length === 0) return result;
  await sleep(input.orphanGraceSeconds * 1000);
  result = { ...result, orphansDeleted: result.orphansDeleted + (await cache.deleteOrphanObjects(orphans)) };
  if (orphans.length < ORPHAN_ROUND) return result;
  // A full round: there may be more, looked at in a fresh history.
  return continueAsNew<typeof cacheMaintenanceWorkflow>(input, result);
}
