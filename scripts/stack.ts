import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { createApp } from '../api/app';
import { serveApi } from '../api/http-server';
import { startGrpcServer } from '../api/grpc/server';
import { authFromConfig } from '../api/auth';
import { createFillLocks } from '../db/fill-locks';
import { listenForChanges } from '../db/change-feed';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { activityDepsFromConfig } from '../composition/activity-deps';
import { harborConfigFromEnv, loadConfig } from '../lib/config';
import { describeTemporalConnection } from '../lib/temporal-connection';
import { startLocalIssuer } from './local-issuer';
import { logger } from '../composition/logger';
import { ensureSchedules } from '../composition/schedules';
import { createWorker } from '../composition/worker';
import { installWorkerMetrics } from '../composition/worker-metrics';
import { startHarborEmulator } from '../test/harbor-emulator';
import { startOciRegistry } from '../test/servers/oci-registry';
import { STACK_ADMIN, STACK_CLI_CLIENT, startStackKeycloak } from './stack-keycloak';
import { forgetPid, recordPid } from './stack-leftovers';
import { startStackTemporal } from './stack-temporal';
import { createObjectStore } from '../storage';

/**
 * The local stack in one process: embedded PostgreSQL (PGlite over its socket server, unless
 * DATABASE_URL is set), migrations, the worker and the API, and Keycloak (unless STACK_KEYCLOAK=0,
 * AUTH_ISSUER or KEYCLOAK_URL is set). Temporal: the dev server started by stack.sh, or with
 * STACK_TEMPORAL=server (stack.sh --temporal-server) the real server, started here (stack-temporal.ts).
 */
const config = loadConfig();
/** What shutdown stops, in order, each named for its log line. */
const stops: [string, () => Promise<void>][] = [];
const started = performance.now();
// Recorded, with each server started outside this process, so that a start after a crash stops what was left (stack-leftovers.ts).
recordPid('stack', process.pid);
/** A server's stop that also forgets its record. */
const forgetting = (name: string, stop: () => Promise<void>) => async () => {
  await stop();
  forgetPid(name);
};

// Keycloak takes longest to start: it starts first and is awaited where the worker needs it.
const keycloakStart =
  process.env.STACK_KEYCLOAK !== '0' && !config.auth.issuer && !config.keycloak
    ? startStackKeycloak({ port: Number(process.env.KEYCLOAK_PORT ?? 8180), managementPort: Number(process.env.KEYCLOAK_MANAGEMENT_PORT ?? 8181), dataDir: resolve('.data/keycloak'), onSpawn: (pid) => recordPid('keycloak', pid) })
    : undefined;
// Failing elsewhere first must not leave the rejection unhandled while the rest starts.
keycloakStart?.catch(() => undefined);

/** How `npm run token` gets a token from this stack (scripts/token.ts reads it). */
function writeStackAuth(auth: { mode: 'keycloak'; issuer: string; clientId: string } | { mode: 'local'; issuer: string }) {
  writeFileSync('.data/stack-auth.json', `${JSON.stringify(auth)}\n`);
}

async function retry<T>(what: string, fn: () => Promise<T>, attempts = 120): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (err) {
      if (i >= attempts) throw err;
      if (i === 1) logger.info(`waiting for ${what}…`);
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

let databaseUrl = config.databaseUrl;
// PGlite serves one connection at a time (its multiplexer interleaves extended-protocol
// messages), so the embedded database gets exactly one client connection, shared by API and worker.
let poolSize = 10;
if (!databaseUrl) {
  const dataDir = '.data/pglite';
  mkdirSync(dataDir, { recursive: true });
  const pglite = await PGlite.create(dataDir);
  const port = Number(process.env.PGLITE_PORT ?? 5433);
  const server = new PGLiteSocketServer({ db: pglite, port, host: '127.0.0.1' });
  await server.start();
  stops.push(['embedded database', async () => {
    await server.stop();
    await pglite.close();
  }]);
  databaseUrl = `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
  poolSize = 1;
}
const database = connect(databaseUrl, { max: poolSize });
stops.unshift(['database pool', () => database.close()]);
// Project lookups stay in memory until PostgreSQL says projects changed; PGlite serves one connection, which the pool holds.
const changes = poolSize > 1 ? listenForChanges(databaseUrl, logger) : undefined;
if (changes) stops.unshift(['database change feed', () => changes.close()]);
// Cache fills coordinated across processes by advisory locks, each on a connection of its own: not on PGlite either.
const fillLocks = poolSize > 1 ? createFillLocks(databaseUrl) : undefined;
if (fillLocks) stops.unshift(['cache fill locks', () => fillLocks.close()]);
await migrateDatabase(database);

// Harbor: the configured instance(s), else the emulator over a real OCI registry, both keeping their state in .data.
let harborNote = 'HARBOR_URL / HARBOR_INSTANCES';
if (!harborConfigFromEnv()) {
  const registryDir = resolve('.data/registry');
  mkdirSync(registryDir, { recursive: true });
  const registry = await startOciRegistry({ port: Number(process.env.OCI_REGISTRY_PORT ?? 5005), dataDir: registryDir });
  const emulator = await startHarborEmulator({ registryUrl: registry.url, validate: 'record', port: Number(process.env.HARBOR_EMULATOR_PORT ?? 8090), stateFile: resolve('.data/harbor-state.json'), anonymousWrites: false, webhookRetryDelaysMs: [16_000, 31_000] });
  recordPid('oci-registry', registry.pid);
  stops.push(['Harbor emulator', emulator.stop], ['OCI registry', forgetting('oci-registry', registry.stop)]);
  process.env.HARBOR_URL = emulator.url;
  process.env.HARBOR_USERNAME = emulator.username;
  process.env.HARBOR_PASSWORD = emulator.password;
  harborNote = `emulator ${emulator.url} (push to ${emulator.registryAddress})`;
}

// A second real OCI registry behind Basic auth, to create as a remote registry and promote or sync models with.
const remoteAuth = { username: 'remote', password: 'remote-demo' };
const remoteDir = resolve('.data/remote-registry');
mkdirSync(remoteDir, { recursive: true });
const remoteRegistry = await startOciRegistry({ port: Number(process.env.REMOTE_REGISTRY_PORT ?? 5006), dataDir: remoteDir, auth: remoteAuth });
recordPid('remote-registry', remoteRegistry.pid);
stops.push(['remote OCI registry', forgetting('remote-registry', remoteRegistry.stop)]);

// Secrets at rest need a key; the local stack keeps one in .data (never commit it).
if (!config.secretsKey) {
  const keyFile = '.data/secrets.key';
  if (!existsSync(keyFile)) writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  config.secretsKey = readFileSync(keyFile, 'utf8').trim();
}
// Tokens and membership: the stack's Keycloak (its issuer, its admin client), when it runs one.
let keycloakNote = config.keycloak ? `KEYCLOAK_URL ${config.keycloak.url}` : 'off (STACK_KEYCLOAK=0): membership and users routes answer 503';
if (keycloakStart) {
  const keycloak = await keycloakStart;
  stops.push(['Keycloak', forgetting('keycloak', keycloak.stop)]);
  config.keycloak = keycloak.admin;
  config.auth.issuer = keycloak.issuer;
  keycloakNote = `${keycloak.url}/admin/ (admin console: ${STACK_ADMIN.username} / ${STACK_ADMIN.password}; H2 in .data/keycloak${keycloak.created ? ', realm just imported' : ''})`;
}
// --temporal-server: the real Temporal server and its UI, started here (stack.sh starts the dev server otherwise).
let temporalUi = process.env.TEMPORAL_UI_URL ?? '(external Temporal: see its own UI)';
let temporalNote = '';
if (process.env.STACK_TEMPORAL === 'server') {
  const temporal = await startStackTemporal({
    dataDir: resolve('.data/temporal-server'),
    port: Number(process.env.TEMPORAL_PORT ?? 7233),
    uiPort: Number(process.env.TEMPORAL_UI_PORT ?? 8233),
    postgresPort: Number(process.env.TEMPORAL_POSTGRES_PORT ?? 5434),
  });
  // Shutdown stops them after the worker and the clients, as every entry of `stops`.
  stops.push(...temporal.stops);
  config.temporal = temporal.cluster.connection;
  temporalUi = temporal.ui;
  temporalNote = ` (the Temporal server on its own PostgreSQL ${temporal.postgresUrl.replace(/\/[^/]*$/, '')}, databases temporal and temporal_visibility; log .data/temporal-server/server.log)`;
}
// The in-process worker's Temporal SDK metrics, on a port of their own (the API's are on /metrics).
installWorkerMetrics({ ...config.workerMetrics, port: config.workerMetrics.port ?? 9464 });
const nativeConnection = await retry('Temporal', () => NativeConnection.connect(config.temporal));
const connection = await Connection.connect(config.temporal);
const client = new Client({ connection, namespace: config.temporalNamespace });
const deps = { ...activityDepsFromConfig(config, database.db, logger, client), fillLocks };
await ensureSchedules(client, config.taskQueue, {
  reconcileEveryMinutes: config.reconcileEveryMinutes,
  membershipSyncEveryMinutes: config.keycloak ? config.membershipSyncEveryMinutes : undefined,
  storageReclaim: { ...config.storageReclaim, registries: deps.harbor.addresses() },
  cacheMaintenance: config.cacheMaintenance,
});
const worker = await createWorker({
  connection: nativeConnection,
  namespace: config.temporalNamespace,
  taskQueue: config.taskQueue,
  deps,
});
const workerRun = worker.run();

// Bearer tokens: the configured issuer (Keycloak), else a local issuer whose keys stay in .data.
let issuerNote = `AUTH_ISSUER ${config.auth.issuer}`;
if (keycloakStart) {
  issuerNote = `Keycloak ${config.auth.issuer} (tokens: npm run -s token -- --user alice; demo users alice, bob, carol, dave, password "demo")`;
  writeStackAuth({ mode: 'keycloak', issuer: config.auth.issuer, clientId: STACK_CLI_CLIENT });
} else if (!config.auth.issuer) {
  const issuer = await startLocalIssuer({ port: Number(process.env.AUTH_ISSUER_PORT ?? 8091), keyFile: '.data/issuer-keys.json', audience: config.auth.audience });
  stops.push(['local token issuer', issuer.stop]);
  config.auth.issuer = issuer.issuer;
  issuerNote = `local issuer ${issuer.issuer} (tokens: npm run -s token -- --user alice --tenant my_tenant --role admin)`;
  writeStackAuth({ mode: 'local', issuer: issuer.issuer });
}
// One verifier and PDP for both transports, as api/server.ts.
const apiDeps = { db: database.db, client, logger, ...config, registries: deps.harbor.addresses(), secrets: deps.secrets, auth: authFromConfig(config.auth, logger), cacheStore: createObjectStore(config), changes, fillLocks };
const app = createApp(apiDeps);
const api = serveApi(app.fetch, { port: config.apiPort, hostname: config.apiHost });
const grpc = await startGrpcServer(apiDeps, { port: config.grpcPort, host: config.apiHost });

const base = `http://${config.apiHost}:${config.apiPort}`;
process.stdout.write(
  [
    '',
    'Model Registry local stack is up:',
    `  API              ${base}/api/v1`,
    `  Swagger UI       ${base}/swagger`,
    `  Pull (OCI)       ${config.apiHost}:${config.apiPort}/<tenant>/<virtual registry>/<model>:<tag> (plain HTTP; log in with any user and a token as password; cache ${config.cacheStorage.kind === 's3' ? `in bucket ${config.cacheStorage.s3.bucket}` : `in ${config.cacheDir}`})`,
    `  OpenAPI          ${base}/openapi.json`,
    `  gRPC             ${grpc.address} (h2c; reflection: grpcurl -plaintext ${grpc.address} list)`,
    `  Temporal Web UI  ${temporalUi}`,
    `  Temporal         ${describeTemporalConnection(config.temporal)}${temporalNote}`,
    `  Metrics          ${base}/metrics (API), http://${config.workerMetrics.host}:${config.workerMetrics.port ?? 9464}/metrics (worker)`,
    `  Database         ${config.databaseUrl ? 'DATABASE_URL' : `embedded PGlite in .data/pglite (${databaseUrl})`}`,
    `  Harbor           ${harborNote}`,
    `  Remote registry  ${remoteRegistry.url} (Basic ${remoteAuth.username} / ${remoteAuth.password}: POST /api/v1/registries with it as url and credential)`,
    `  Tokens           ${issuerNote}`,
    `  Keycloak         ${keycloakNote}`,
    `Started in ${((performance.now() - started) / 1000).toFixed(1)} s. Ctrl-C stops it.`,
    '',
  ].join('\n'),
);

/** How long one step of Ctrl-C's shutdown may take before the next one starts. */
const STEP_MS = 5_000;

/**
 * One step of the shutdown: a failure or a hang (Ctrl-C stops the Temporal dev server too, so a
 * worker or client waiting on it never finishes) is logged, and the next step still runs, so no
 * server is left behind.
 */
async function step(what: string, run: () => unknown): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), STEP_MS)));
  try {
    if ((await Promise.race([Promise.resolve(run()), late])) === 'late') logger.warn(`stopping: ${what} did not finish in ${STEP_MS / 1000} s; going on`);
  } catch (err) {
    logger.warn({ err }, `stopping: ${what} failed`);
  } finally {
    clearTimeout(timer);
  }
}

async function shutdown() {
  logger.info('stopping');
  api.close();
  await step('gRPC server', () => grpc.close());
  // The SDK's own signal handlers may have begun draining the worker already.
  await step('worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await workerRun;
  });
  // Ctrl-C reaches the Temporal dev server too: its connections may already be gone.
  await step('Temporal client', () => connection.close());
  await step('worker connection', () => nativeConnection.close());
  await step('event publisher', () => deps.events.close());
  for (const [name, stop] of stops) await step(name, stop);
  forgetPid('stack');
  process.exit(0);
}
// Ctrl-C signals the whole process group, and tsx relays the signal to this process once more: a
// listener that stays keeps that second SIGINT from killing the process before Keycloak is stopped.
// A closed terminal (SIGHUP) stops the stack the same way: Keycloak runs in a session of its own and would stay.
let stopping = false;
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (stopping) return;
    stopping = true;
    void shutdown();
  });
}
