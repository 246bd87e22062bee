import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { CACHE_MAINTENANCE_SCHEDULE_ID, ensureSchedules, MEMBERSHIP_SCHEDULE_ID, RECONCILIATION_SCHEDULE_ID, REPLICATION_POLLER_SCHEDULE_ID, SWEEPER_SCHEDULE_ID } from '../composition/schedules';
import { workflowsPath } from '../composition/worker';
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
    /** The workflow code bundled once for the run (test/support/workflow-bundle.ts hands it to workers). */
    workflowBundlePath: string;
  }
}

/**
 * One real Temporal dev server, one throw-away PostgreSQL (migrated), one Kafka broker and one
 * Keycloak (the test realm imported) for the whole run;
 * test files isolate themselves with their own task queues and resource names. The workflow code
 * is bundled once here (webpack, seconds of CPU) instead of by every worker a test file starts.
 */
export default async function setup(project: TestProject) {
  const [pg, kf, kc, tp, bd] = await Promise.allSettled([
    startPostgres(),
    startKafka(),
    startKeycloak(),
    TestWorkflowEnvironment.createLocal({
      server: { executable: { type: 'existing-path', path: temporalExecutable() }, ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES },
    }),
    bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') }),
  ]);
  if (pg.status === 'rejected' || kf.status === 'rejected' || kc.status === 'rejected' || tp.status === 'rejected' || bd.status === 'rejected') {
    // One server failed to start (a port taken, say): the others must not outlive the run (PostgreSQL is daemonised).
    const ok = <T>(s: PromiseSettledResult<T>) => (s.status === 'fulfilled' ? s.value : undefined);
    await Promise.allSettled([ok(tp)?.teardown(), ok(kf)?.stop(), ok(kc)?.stop(), ok(pg)?.stop()]);
    throw [pg, kf, kc, tp, bd].find((s) => s.status === 'rejected')!.reason;
  }
  const [postgres, kafka, keycloak, temporal, bundle] = [pg.value, kf.value, kc.value, tp.value, bd.value];
  // A file per run: a path is all `provide` needs to carry, and runs in other worktrees never share it.
  const bundleDir = fileURLToPath(new URL('../test-output/', import.meta.url));
  const bundlePath = `${bundleDir}workflow-bundle-${process.pid}.js`;
  mkdirSync(bundleDir, { recursive: true });
  writeFileSync(bundlePath, bundle.code);
  const database = connect(postgres.url, { max: 1 });
  await migrateDatabase(database);
  await database.close();
  // The service's global Schedules, made once here, paused, on a queue no worker polls: else the first
  // file to make them owned them, and their runs (every minute) scanned every file's rows meanwhile.
  // Tests run what they need of them by hand; creating them again is a no-op.
  await ensureSchedules(temporal.client, 'global-schedules-of-no-test', { membershipSyncEveryMinutes: 60 });
  for (const id of [SWEEPER_SCHEDULE_ID, RECONCILIATION_SCHEDULE_ID, MEMBERSHIP_SCHEDULE_ID, REPLICATION_POLLER_SCHEDULE_ID, CACHE_MAINTENANCE_SCHEDULE_ID]) {
    await temporal.client.schedule.getHandle(id).pause('the tests run what they need by hand');
  }
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalAddress', temporal.address);
  project.provide('kafkaBootstrap', kafka.bootstrap);
  project.provide('keycloakIssuer', keycloak.issuer);
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    rmSync(bundlePath, { force: true });
    await temporal.teardown();
    await kafka.stop();
    await keycloak.stop();
    await postgres.stop();
  };
}
