import type { Client } from '@temporalio/client';
import { createHarborInstances } from '../activities/harbor';
import { createKafkaPublisher, createLogPublisher } from '../activities/kafka';
import type { ActivityDeps } from '../activities';
import type { Db } from '../db/client';
import { harborConfigFromEnv, type Config } from '../lib/config';
import type { Logger } from '../lib/logger';
import { createSecretBox, parseKey } from '../lib/secrets';
import { createObjectStore } from '../storage';

/** The real clients the worker's activities use, from configuration. */
export function activityDepsFromConfig(config: Config, db: Db, logger: Logger, client: Client): ActivityDeps {
  const harbor = harborConfigFromEnv();
  if (!harbor) throw new Error('no Harbor configured: set HARBOR_URL (and HARBOR_USERNAME, HARBOR_PASSWORD) or HARBOR_INSTANCES');
  if (!config.secretsKey) throw new Error('SECRETS_KEY is not set (32 random bytes, base64: openssl rand -base64 32)');
  return {
    db,
    harbor: createHarborInstances(harbor),
    events: config.kafkaBrokers.length > 0 ? createKafkaPublisher({ bootstrapBrokers: config.kafkaBrokers, topic: config.kafkaTopic }) : createLogPublisher(logger),
    secrets: createSecretBox(parseKey(config.secretsKey)),
    webhookReceiverUrl: config.webhookReceiverUrl,
    temporal: { client, taskQueue: config.taskQueue },
    keycloak: config.keycloak,
    cache: createObjectStore(config),
  };
}
