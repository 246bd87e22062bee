import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import type { ActivityDeps } from '../../activities';
import { createHarborInstances } from '../../activities/harbor';
import { createKafkaPublisher } from '../../activities/kafka';
import { createApp } from '../../api/app';
import { startGrpcServer } from '../../api/grpc/server';
import { serveApi } from '../../api/http-server';
import { createFillLocks } from '../../db/fill-locks';
import { listenForChanges } from '../../db/change-feed';
import { connect, type Database, type Db } from '../../db/client';
import { logger } from '../../composition/logger';
import { createLogger } from '../../lib/logger';
import { createSecretBox } from '../../lib/secrets';
import { createWorker } from '../../composition/worker';
import type { ObjectStore } from '../../lib/object-store';
import { createFsObjectStore } from '../../storage/fs';
import type { AuthDeps } from '../../api/auth/middleware';
import { startReceiver } from '../harbor/receiver';
import { KEYCLOAK_CLIENTS } from './keycloak';
import { REALM } from '../servers/keycloak';
import { startTestAuth, withToken, type TestAuth, type TokenApp } from './auth';
import type { ReplicationOptions } from '../harbor-emulator/replication';
import { startHarbor, type HarborTestbed } from './harbor';
import { workflowBundle } from './workflow-bundle';

export interface TestStack {
  /** The API; requests carry a platform administrator's token unless they set Authorization. */
  app: TokenApp;
  /** With `receiveWebhooks` or `listen`, where the API listens on loopback (`http://127.0.0.1:<port>`). */
  apiUrl?: string;
  /** The gRPC API on loopback (h2c, the same services, auth and token issuer as `app`): `127.0.0.1:<port>`. */
  grpcAddress: string;
  /** The local issuer the API trusts, to mint tokens for other users, roles and tenants. */
  auth: TestAuth;
  client: Client;
  database: Database;
  taskQueue: string;
  harbor: HarborTestbed;
  /** The registry address of the emulated Harbor instance. */
  registry: string;
  /** The Kafka topic this stack's events go to. */
  topic: string;
  deps: ActivityDeps;
  /** The virtual registries' cache on disk, shared by the API's pull path and the worker (a temp dir removed on close). */
  cacheDir: string;
  /** Environment for a worker process (worker.ts) on this stack's servers and task queue. */
  workerEnv: Record<string, string>;
  /** Every log line of the API and the worker (Temporal runtime, activities, workflows) with `captureLogs`. */
  logs: string[];
  /** Where the emulator's webhooks for onboarded projects arrive unless the stack receives them itself. */
  webhookSink: Awaited<ReturnType<typeof startReceiver>>;
  /** Another app on the same servers, e.g. with a shorter wait or a queue nobody polls. */
  appWith(overrides: { mutationWaitMs?: number; taskQueue?: string; auth?: AuthDeps; bodyLimitBytes?: number; client?: Client; db?: Db; cacheStore?: ObjectStore }): TokenApp;
  /** Another gRPC server on the same servers, e.g. with a shorter wait; the caller closes it. */
  grpcWith(overrides: { mutationWaitMs?: number; taskQueue?: string; client?: Client }): Promise<{ address: string; close(): Promise<void> }>;
  /** Starts a further worker on the stack's task queue (for crash and restart tests). */
  startWorker(): Promise<{ worker: Worker; running: Promise<void> }>;
  close(): Promise<void>;
}

const quiet = logger.child({}, { level: process.env.TEST_LOG_LEVEL ?? 'silent' });

// The SDK's worker logs go to the console at INFO by default; tests want warnings only, or
// everything captured when a test inspects the logs.
let runtimeInstalled = false;
function installRuntime(capture?: string[]) {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: capture ? new DefaultLogger('TRACE', (entry) => capture.push(`${entry.message} ${safeJson(entry.meta)}`)) : new DefaultLogger('WARN') });
}
const safeJson = (v: unknown) => JSON.stringify(v, (_, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));

/**
 * The API and a worker on a unique task queue, against the run's real Temporal, PostgreSQL and
 * Kafka (a topic of its own), and a Harbor emulator over a real OCI registry of its own.
 */
export async function startTestStack(
  opts: { worker?: boolean; receiveWebhooks?: boolean; listen?: boolean; captureLogs?: boolean; keycloak?: boolean; harborReplication?: Partial<ReplicationOptions> } = {},
): Promise<TestStack> {
  const logs: string[] = [];
  installRuntime(opts.captureLogs ? logs : undefined);
  const apiLogger = opts.captureLogs ? createLogger({ write: (line: string) => void logs.push(line) }, 'trace') : quiet;
  const database = connect(inject('databaseUrl'), { max: 4 });
  // As api/server.ts: project lookups in memory until projects change.
  const changes = listenForChanges(inject('databaseUrl'), apiLogger);
  const fillLocks = createFillLocks(inject('databaseUrl'), { max: 2 });
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const nativeConnection = await NativeConnection.connect({ address });
  const taskQueue = `test-${randomUUID()}`;
  const harbor = await startHarbor({ scanDelayMs: 50, replication: opts.harborReplication });
  // One registry address per stack: inbox rows (source harbor:<registry>) never mix between test files.
  const registry = `harbor-${randomUUID().slice(0, 8)}.test`;
  const topic = `events-${randomUUID()}`;
  const webhookSink = await startReceiver();
  const auth = await startTestAuth();
  // With receiveWebhooks the API listens on loopback and Harbor's policies point at its receiver.
  const served: { app?: TokenApp } = {};
  const apiServer = opts.receiveWebhooks || opts.listen
    ? await new Promise<Server>((resolve) => {
        const s = serveApi((req, env) => served.app!.fetch(req, env as HttpBindings), { port: 0, hostname: '127.0.0.1' }, () => resolve(s));
      })
    : undefined;
  const apiUrl = apiServer && `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
  const receiverUrl = apiUrl ? `${apiUrl}/api/v1/webhooks/harbor` : webhookSink.url;
  const secretsKey = randomBytes(32);
  const secrets = createSecretBox(secretsKey);
  // One cache directory for the API's pull path and the worker's housekeeping, as in a deployment.
  const cacheDir = mkdtempSync(join(tmpdir(), 'modelregistry-cache-'));
  const cacheStore = createFsObjectStore(cacheDir);
  const deps: ActivityDeps = {
    db: database.db,
    cache: cacheStore,
    fillLocks,
    harbor: createHarborInstances([{ address: registry, url: harbor.emulator.url, username: harbor.emulator.username, password: harbor.emulator.password }], { timeoutMs: 5000 }),
    events: createKafkaPublisher({ bootstrapBrokers: [inject('kafkaBootstrap')], topic }),
    secrets,
    webhookReceiverUrl: receiverUrl,
    temporal: { client, taskQueue },
    // keycloak: false is the light stack: no Keycloak admin API for the worker nor the API.
    keycloak:
      opts.keycloak === false
        ? undefined
        : {
            url: inject('keycloakIssuer').replace(/\/realms\/[^/]+$/, ''),
            realm: REALM,
            clientId: KEYCLOAK_CLIENTS.admin.clientId,
            clientSecret: KEYCLOAK_CLIENTS.admin.secret,
          },
  };
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  const startWorker = async () => {
    const worker = await createWorker({ connection: nativeConnection, namespace: 'default', taskQueue, deps, workflowBundle: workflowBundle() });
    const entry = { worker, running: worker.run() };
    workers.push(entry);
    return entry;
  };
  if (opts.worker !== false) await startWorker();
  const appWith = (o: { mutationWaitMs?: number; taskQueue?: string; auth?: AuthDeps; bodyLimitBytes?: number; client?: Client; db?: Db; cacheStore?: ObjectStore }) =>
    withToken(createApp({
      db: o.db ?? database.db,
      client: o.client ?? client,
      taskQueue: o.taskQueue ?? taskQueue,
      mutationWaitMs: o.mutationWaitMs ?? 20_000,
      bodyLimitBytes: o.bodyLimitBytes ?? 64 * 1024,
      logger: apiLogger,
      registries: [registry],
      secrets,
      auth: o.auth ?? auth.deps,
      keycloak: deps.keycloak,
      cacheStore: o.cacheStore ?? cacheStore,
      changes,
      fillLocks,
    }), auth.adminToken);
  const app = appWith({});
  served.app = app;
  const grpcWith = (o: { mutationWaitMs?: number; taskQueue?: string; client?: Client }) =>
    startGrpcServer(
      { db: database.db, client: o.client ?? client, taskQueue: o.taskQueue ?? taskQueue, mutationWaitMs: o.mutationWaitMs ?? 20_000, logger: apiLogger, registries: [registry], secrets, auth: auth.deps, keycloak: deps.keycloak, changes },
      { port: 0, host: '127.0.0.1' },
    );
  const grpc = await grpcWith({});
  return {
    app,
    apiUrl,
    grpcAddress: grpc.address,
    auth,
    logs,
    client,
    database,
    taskQueue,
    harbor,
    registry,
    topic,
    deps,
    cacheDir,
    workerEnv: {
      DATABASE_URL: inject('databaseUrl'),
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      HARBOR_URL: harbor.emulator.url,
      HARBOR_USERNAME: harbor.emulator.username,
      HARBOR_PASSWORD: harbor.emulator.password,
      HARBOR_REGISTRY_ADDRESS: registry,
      SECRETS_KEY: secretsKey.toString('base64'),
      KAFKA_BROKERS: inject('kafkaBootstrap'),
      KAFKA_TOPIC: topic,
      WEBHOOK_RECEIVER_URL: receiverUrl,
      CACHE_DIR: cacheDir,
      LOG_LEVEL: 'info',
    },
    webhookSink,
    appWith,
    grpcWith,
    startWorker,
    async close() {
      for (const { worker, running } of workers) {
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running.catch(() => undefined);
      }
      apiServer?.close();
      await grpc.close();
      await nativeConnection.close();
      await connection.close();
      await deps.events.close();
      await harbor.stop();
      await webhookSink.stop();
      await auth.stop();
      await changes.close();
      await fillLocks.close();
      await database.close();
      rmSync(cacheDir, { recursive: true, force: true });
    },
  };
}

/** A name no other test or run uses. */
export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
