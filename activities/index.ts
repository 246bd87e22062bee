import type { Db } from '../db/client';
import type { SecretBox } from '../lib/secrets';
import { createDbActivities } from './db';
import { createHarborProjectActivities, type HarborInstances } from './harbor';
import { createKafkaActivities, type EventPublisher } from './kafka';

export interface ActivityDeps {
  db: Db;
  harbor: HarborInstances;
  events: EventPublisher;
  secrets: SecretBox;
  /** Where Harbor should deliver webhooks (this service's receiver). */
  webhookReceiverUrl: string;
}

/** Every activity the worker registers, built from real clients so tests can point them at test servers. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createDbActivities(deps),
    ...createHarborProjectActivities(deps),
    ...createKafkaActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
