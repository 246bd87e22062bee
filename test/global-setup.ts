import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { startKafka } from './servers/kafka';
import { startKeycloak } from './servers/keycloak';
import { startPostgres } from './servers/postgres';
import { SEARCH_ATTRIBUTES, temporalExecutable } from './servers/temporal';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    kafkaBootstrap: string;
    /** The issuer URL of the test realm (test/keycloak/realm.json). */
    keycloakIssuer: string;
  }
}

/**
 * One real Temporal dev server, one throw-away PostgreSQL (migrated), one Kafka broker and one
 * Keycloak (the test realm imported) for the whole run;
 * test files isolate themselves with their own task queues and resource names.
 */
export default async function setup(project: TestProject) {
  const [postgres, kafka, keycloak, temporal] = await Promise.all([
    startPostgres(),
    startKafka(),
    startKeycloak(),
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalExecutable() }, ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES },
    }),
  ]);
  const database = connect(postgres.url, { max: 1 });
  await migrateDatabase(database);
  await database.close();
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalAddress', temporal.address);
  project.provide('kafkaBootstrap', kafka.bootstrap);
  project.provide('keycloakIssuer', keycloak.issuer);
  return async () => {
    await temporal.teardown();
    await kafka.stop();
    await keycloak.stop();
    await postgres.stop();
  };
}
