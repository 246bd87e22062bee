import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createFillLocks } from './db/fill-locks';
import { connect } from './db/client';
import { activityDepsFromConfig } from './composition/activity-deps';
import { loadConfig } from './lib/config';
import { describeTemporalConnection } from './lib/temporal-connection';
import { logger } from './composition/logger';
import { ensureSchedules } from './composition/schedules';
import { createWorker } from './composition/worker';
import { installWorkerMetrics } from './composition/worker-metrics';

/** Runs the Temporal worker until SIGTERM/SIGINT, then drains in-flight tasks and exits. */
const config = loadConfig();
if (!config.databaseUrl) {
  logger.fatal('DATABASE_URL is not set (the local stack sets it: npm run stack)');
  process.exit(2);
}
installWorkerMetrics(config.workerMetrics);
const database = connect(config.databaseUrl);
const connection = await NativeConnection.connect(config.temporal);
const clientConnection = await Connection.connect(config.temporal);
const client = new Client({ connection: clientConnection, namespace: config.temporalNamespace });
// Warms and the API processes' pulls fetch an uncached blob from its upstream once between them.
const fillLocks = createFillLocks(config.databaseUrl);
const deps = { ...activityDepsFromConfig(config, database.db, logger, client), fillLocks };
await ensureSchedules(client, config.taskQueue, {
  reconcileEveryMinutes: config.reconcileEveryMinutes,
  membershipSyncEveryMinutes: config.keycloak ? config.membershipSyncEveryMinutes : undefined,
  storageReclaim: { ...config.storageReclaim, registries: deps.harbor.addresses() },
  cacheMaintenance: config.cacheMaintenance,
});
const worker = await createWorker({
  connection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  deps,
});
// The SDK's default shutdownSignals (SIGINT, SIGTERM, SIGQUIT, SIGUSR2) start a graceful shutdown.
logger.info({ taskQueue: config.taskQueue, temporal: describeTemporalConnection(config.temporal), metricsPort: config.workerMetrics.port }, 'worker started');
try {
  await worker.run();
} finally {
  await connection.close();
  await clientConnection.close();
  await deps.events.close();
  await fillLocks.close();
  await database.close();
  logger.info('worker stopped');
}
