import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import type { SecretBox } from '../lib/secrets';
import { createDbActivities } from './db';
import { createHarborProjectActivities, type HarborInstances } from './harbor';
import { createHarborMemberActivities } from './harbor/members';
import { createHarborRepositoryActivities } from './harbor/repositories';
import { createHarborRobotActivities } from './harbor/robots';
import { createInboxActivities } from './inbox/sweeper';
import { createRepositoryBatchActivities } from './repository-batch';
import { createKeycloakActivities, type KeycloakConfig } from './keycloak';
import { createKeycloakUserActivities } from './keycloak/users';
import { createKafkaActivities, type EventPublisher } from './kafka';

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
}

/** Every activity the worker registers, built from real clients so tests can point them at test servers. */
export function createActivities(deps: ActivityDeps) {
  const db = createDbActivities(deps);
  const harborProjects = createHarborProjectActivities(deps);
  return {
    ...db,
    ...harborProjects,
    ...createRepositoryBatchActivities(deps, harborProjects),
    ...createHarborMemberActivities(deps),
    ...createHarborRobotActivities(deps),
    ...createHarborRepositoryActivities(deps),
    ...createKeycloakActivities(deps),
    ...createKeycloakUserActivities(deps),
    ...createKafkaActivities(deps),
    ...createInboxActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
