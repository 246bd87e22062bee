import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { TestProject } from 'vitest/node';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { startKafka } from './servers/kafka';
import { startPostgres } from './servers/postgres';
import { SEARCH_ATTRIBUTES, temporalExecutable } from './servers/temporal';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    kafkaBootstrap: string;
  }
}

/**
 * One real Temporal dev server, one throw-away PostgreSQL (migrated) and one Kafka broker for the whole run;
 * test files isolate themselves with their own task queues and resource names.
 */
export default async function setup(project: TestProject) {
  const [postgres, kafka, temporal] = await Promise.all([
    startPostgres(),
    startKafka(),
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
  return async () => {
    await temporal.teardown();
    await kafka.stop();
    await postgres.stop();
  };
}
