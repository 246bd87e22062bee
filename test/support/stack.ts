import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { createApp } from '../../api/app';
import { connect, type Database } from '../../db/client';
import { logger } from '../../lib/logger';
import { createWorker } from '../../lib/worker';

export interface TestStack {
  app: ReturnType<typeof createApp>;
  client: Client;
  database: Database;
  taskQueue: string;
  /** Another app on the same servers, e.g. with a shorter wait or a queue nobody polls. */
  appWith(overrides: { mutationWaitMs?: number; taskQueue?: string }): ReturnType<typeof createApp>;
  close(): Promise<void>;
}

const quiet = logger.child({}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// The SDK's worker logs go to the console at INFO by default; tests want warnings only.
let runtimeInstalled = false;
function installQuietRuntime() {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/** The API and a worker on a unique task queue, against the run's real Temporal and PostgreSQL. */
export async function startTestStack(): Promise<TestStack> {
  installQuietRuntime();
  const database = connect(inject('databaseUrl'), { max: 4 });
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const worker: Worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, deps: { db: database.db } });
  const running = worker.run();
  const appWith = (o: { mutationWaitMs?: number; taskQueue?: string }) =>
    createApp({
      db: database.db,
      client,
      taskQueue: o.taskQueue ?? taskQueue,
      mutationWaitMs: o.mutationWaitMs ?? 10_000,
      bodyLimitBytes: 64 * 1024,
      logger: quiet,
    });
  return {
    app: appWith({}),
    client,
    database,
    taskQueue,
    appWith,
    async close() {
      worker.shutdown();
      await running;
      await nativeConnection.close();
      await connection.close();
      await database.close();
    },
  };
}

/** A name no other test or run uses. */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
