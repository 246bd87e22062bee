import type { Db } from '../db/client';
import type { FillLocks } from '../db/fill-locks';
import { findPullTarget, StaleTarget, type PullTarget } from '../db/cache-entries';
import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/object-store';
import type { SecretBox } from '../lib/secrets';
import { createBlobPulls } from './blobs';
import { createManifestPulls } from './manifests';
import { withStoreOutages } from './store-outages';
import { createTagLists } from './tags';
import { createUpstreamClient } from './upstream-client';

export type { PullResponse } from './answers';
export { errorResponse } from './answers';

export interface PullDeps {
  db: Db;
  /** Where cached manifests and blobs live (storage/: the filesystem, or S3). */
  store: ObjectStore;
  secrets: SecretBox;
  logger: Pick<Logger, 'warn'>;
  /** Cache fills coordinated across processes; absent on PGlite (one connection), where they are within this process only. */
  fillLocks?: FillLocks;
  /**
   * How long an upstream that could not be reached is skipped by pulls (upstream-client.ts). The API
   * skips one for 30 s; a warm (the worker) asks every time, as its activity's retries are its own schedule.
   */
  skipUnreachableMs?: number;
}

/** Resolutions kept in memory, at most (the least recently read dropped first). */
const MAX_TARGETS = 1000;

/** The virtual registries' read-only OCI distribution service (issue #16), for the API's `/v2/` routes. */
export function createPullService(deps: PullDeps) {
  const upstreams = createUpstreamClient({ secrets: deps.secrets, skipUnreachableMs: deps.skipUnreachableMs, logger: deps.logger });
  const store = withStoreOutages(deps.store, deps.logger);
  // A registry's resolution (its upstreams in order, their credentials sealed) by tenant and name. Used
  // only as `unverified`: the pull's first cache lookup reads the tenant's version with its entries and
  // throws StaleTarget when a change (a reorder, an upstream's URL or credential, a deletion) bumped it.
  const targets = new Map<string, PullTarget>();
  const read = async (key: string, tenant: string, registry: string) => {
    const target = await findPullTarget(deps.db, tenant, registry);
    targets.delete(key);
    // Without upstreams a pull makes no lookup that would check the version: never kept.
    if (target && target.upstreams.length > 0) {
      if (targets.size >= MAX_TARGETS) targets.delete(targets.keys().next().value!);
      targets.set(key, target);
    }
    return target;
  };
  return {
    /**
     * Runs `use` with a virtual registry's resolution, or answers null when there is no such registry.
     * A kept resolution serves if the version read by `use`'s first lookup still matches; else it is
     * read again and `use` runs again. `fresh` reads it in any case, for a use that makes no lookup.
     */
    async withTarget<T>(tenant: string, registry: string, use: (target: PullTarget) => Promise<T>, opts: { fresh?: boolean } = {}): Promise<T | null> {
      const key = `${tenant}/${registry}`;
      const kept = opts.fresh ? undefined : targets.get(key);
      if (kept) {
        try {
          return await use({ ...kept, unverified: true });
        } catch (err) {
          if (!(err instanceof StaleTarget)) throw err;
        }
      }
      const target = await read(key, tenant, registry);
      return target ? use(target) : null;
    },
    manifests: createManifestPulls({ db: deps.db, store, upstreams, logger: deps.logger }),
    blobs: createBlobPulls({ db: deps.db, store, upstreams, logger: deps.logger, fillLocks: deps.fillLocks }),
    tags: createTagLists({ upstreams }),
  };
}
export type PullService = ReturnType<typeof createPullService>;
