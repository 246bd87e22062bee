import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { FillLocks } from '../db/fill-locks';
import type { ObjectStore } from '../lib/object-store';
import type { SecretBox } from '../lib/secrets';
import { createCacheMaintenanceActivities } from './cache/maintenance';
import { createCacheWarmActivities } from './cache/warm';
import { createDbActivities } from './db';
import { createCatalogueImportActivities } from './catalogue/catalogue-import';
import { createRepositoryBatchActivities } from './catalogue/repository-batch';
import type { HarborInstances } from './harbor/instances';
import { createHarborCleanupActivities } from './harbor/cleanup';
import { createHarborGcActivities } from './harbor/gc';
import { createHarborMemberActivities } from './harbor/members';
import { createHarborProjectActivities } from './harbor/projects';
import { createHarborRegistryActivities } from './harbor/registries';
import { createHarborReplicationActivities } from './harbor/replication';
import { createHarborRepositoryActivities } from './harbor/repositories';
import { createHarborRobotActivities } from './harbor/robots';
import { createHarborWebhookPolicyActivities } from './harbor/webhook-policies';
import { createInboxActivities } from './inbox/sweeper';
import { createKeycloakActivities, type KeycloakConfig } from './keycloak';
import { createKeycloakUserActivities } from './keycloak/users';
import { createKafkaActivities, type EventPublisher } from './kafka';
import { createLocationActivities } from './db/locations';
import { createExecutionLocationActivities } from './oci/execution-locations';
import { createRemoteOciActivities } from './oci/remote';
import { createUpstreamCheckActivities } from './oci/upstream-check';
import { createPromotionSignalActivities } from './temporal/promotions';
import { createCleanupScheduleActivities } from './temporal/cleanup-schedules';
import { createSyncScheduleActivities } from './temporal/sync-schedules';
import { createReplicationFollowerActivities } from './temporal/replication-followers';

export interface ActivityDeps {
  db: Db;
  harbor: HarborInstances;
  events: EventPublisher;
  secrets: SecretBox;
  /** Where Harbor should deliver webhooks (this service's receiver). */
  webhookReceiverUrl: string;
  /** Temporal itself, for activities that hand work to other workflows (the inbox sweeper). */
  temporal: { client: Client; taskQueue: string };
  /** Keycloak's admin API for project membership; membership operations fail clearly without it. */
  keycloak?: KeycloakConfig;
  /** The virtual registries' cache (objects); its housekeeping fails clearly without it. */
  cache?: ObjectStore;
  /** Cache fills coordinated with the API processes' pulls (db/fill-locks.ts); absent on PGlite. */
  fillLocks?: FillLocks;
}

/** Every activity the worker registers, built from real clients so tests can point them at test servers. */
export function createActivities(deps: ActivityDeps) {
  const harborRepositories = createHarborRepositoryActivities(deps);
  const remoteOci = createRemoteOciActivities(deps);
  return {
    ...createDbActivities(deps),
    ...createHarborProjectActivities(deps),
    ...createHarborWebhookPolicyActivities(deps),
    ...createHarborMemberActivities(deps),
    ...createHarborRobotActivities(deps),
    ...createHarborRegistryActivities(deps),
    ...createHarborReplicationActivities(deps),
    ...createHarborCleanupActivities(deps),
    ...createHarborGcActivities(deps),
    ...harborRepositories,
    ...createCatalogueImportActivities(deps, harborRepositories),
    ...createRepositoryBatchActivities(deps, harborRepositories),
    ...createKeycloakActivities(deps),
    ...createKeycloakUserActivities(deps),
    ...createKafkaActivities(deps),
    ...createInboxActivities(deps),
    ...remoteOci,
    ...createUpstreamCheckActivities(deps),
    ...createExecutionLocationActivities(deps, { remote: remoteOci, locations: createLocationActivities(deps) }),
    ...createPromotionSignalActivities(deps),
    ...createSyncScheduleActivities(deps),
    ...createCleanupScheduleActivities(deps),
    ...createReplicationFollowerActivities(deps),
    ...createCacheMaintenanceActivities(deps),
    ...createCacheWarmActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
