import type { Db } from '../db/client';
import { findPullTarget } from '../db/cache-entries';
import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/object-store';
import type { SecretBox } from '../lib/secrets';
import { createBlobPulls } from './blobs';
import { createManifestPulls } from './manifests';
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
}

/** The virtual registries' read-only OCI distribution service (issue #16), for the API's `/v2/` routes. */
export function createPullService(deps: PullDeps) {
  const upstreams = createUpstreamClient({ secrets: deps.secrets });
  return {
    findTarget: (tenant: string, registry: string) => findPullTarget(deps.db, tenant, registry),
    manifests: createManifestPulls({ db: deps.db, store: deps.store, upstreams }),
    blobs: createBlobPulls({ db: deps.db, store: deps.store, upstreams, logger: deps.logger }),
    tags: createTagLists({ upstreams }),
  };
}
export type PullService = ReturnType<typeof createPullService>;
