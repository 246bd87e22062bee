/**
 * The servers a benchmark runs against, as the tests start them: a real Temporal dev server (or,
 * with BENCH_TEMPORAL=server, the real Temporal server on the same PostgreSQL), PostgreSQL, Kafka,
 * the Harbor emulator over a real OCI registry, optionally the worker (the production entry point `worker.ts`, in a process of its own as deployed), and the API over HTTP
 * on loopback with a platform administrator's token. `addWorker` and `addApiProcess` start more of
 * each on the same servers (the scale-out benchmark).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type HttpBindings } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../api/app';
import { startGrpcServer } from '../api/grpc/server';
import { listenForChanges } from '../db/change-feed';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { logger } from '../composition/logger';
import { createSecretBox } from '../lib/secrets';
import { createFsObjectStore } from '../storage/fs';
import { startKafka } from '../test/servers/kafka';
import { startOciRegistry } from '../test/servers/oci-registry';
import { freePort, waitForPort } from '../test/servers/ports';
import { startPostgres } from '../test/servers/postgres';
import { SEARCH_ATTRIBUTES, temporalExecutable } from '../test/servers/temporal';
import { startTemporalCluster } from '../test/servers/temporal-cluster';
import { makeTlsCertificates } from '../test/servers/tls-certs';
import { bearer, startTestAuth } from '../test/support/auth';
import { spawnWorker } from '../test/support/worker-process';

export const REGISTRY = 'harbor.bench';
export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

/**
 * Which Temporal a benchmark runs on: `BENCH_TEMPORAL=server` the real server on the benchmark's
 * PostgreSQL (test/servers/temporal-cluster.ts); `server-mtls` the same with its frontend taking
 * mTLS only (throw-away certificates), the worker and API processes connecting through
 * TEMPORAL_TLS_* as deployed; else (unset or `dev`) the CLI's dev server on SQLite. When it is set,
 * results are written as `<name>-temporal-<kind>.json`, so the runs of a comparison sit side by side.
 */
export const benchTemporal = (() => {
  const kind = process.env.BENCH_TEMPORAL || 'dev';
  if (kind !== 'dev' && kind !== 'server' && kind !== 'server-mtls') throw new Error(`BENCH_TEMPORAL must be dev, server or server-mtls, got "${kind}"`);
  return kind;
})();
const TEMPORAL_DESCRIPTION = {
  dev: 'the Temporal CLI dev server (SQLite)',
  server: 'the Temporal server (go.temporal.io/server) on the PostgreSQL, SQL visibility',
  'server-mtls': 'the Temporal server (go.temporal.io/server) on the PostgreSQL, SQL visibility, frontend mTLS',
}[benchTemporal];

/** Temporal as the benchmark uses it: its address, a client, the environment a worker or API process reaches it with, and how to stop it. */
async function startTemporal(postgres: Promise<{ url: string }>) {
  if (benchTemporal === 'dev') {
    const env = await TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalExecutable() }, ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES } });
    return { address: env.address, client: env.client, processEnv: { TEMPORAL_ADDRESS: env.address } as Record<string, string>, teardown: () => env.teardown() };
  }
  const tlsDir = benchTemporal === 'server-mtls' ? mkdtempSync(join(tmpdir(), 'modelregistry-bench-tls-')) : undefined;
  if (tlsDir) await makeTlsCertificates(tlsDir);
  const cluster = await startTemporalCluster({ postgresUrl: (await postgres).url, tlsDir }).catch((err: unknown) => {
    if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    throw err;
  });
  const connection = await Connection.connect(cluster.connection);
  const tlsEnv: Record<string, string> = tlsDir ? { TEMPORAL_TLS: '1', TEMPORAL_TLS_CA_FILE: join(tlsDir, 'ca.pem'), TEMPORAL_TLS_CERT_FILE: join(tlsDir, 'client.pem'), TEMPORAL_TLS_KEY_FILE: join(tlsDir, 'client.key'), TEMPORAL_TLS_SERVER_NAME: 'localhost' } : {};
  return {
    address: cluster.address,
    client: new Client({ connection, namespace: cluster.namespace }),
    processEnv: { TEMPORAL_ADDRESS: cluster.address, ...tlsEnv } as Record<string, string>,
    async teardown() {
      await connection.close();
      await cluster.stop();
      if (tlsDir) rmSync(tlsDir, { recursive: true, force: true });
    },
  };
}

export async function startBench(opts: { worker: boolean; webhooksToApi?: boolean; pool?: number; dispatchConcurrency?: number; grpc?: boolean; apiProcess?: boolean }) {
  const quiet = logger.child({}, { level: 'silent' });
  const postgresStart = startPostgres();
  const [pg, kf, reg, tmp] = await Promise.allSettled([postgresStart, startKafka(), startOciRegistry(), startTemporal(postgresStart)]);
  if (pg.status === 'rejected' || kf.status === 'rejected' || reg.status === 'rejected' || tmp.status === 'rejected') {
    // The ones that did start must not outlive the run (PostgreSQL is daemonised: it would).
    const ok = <T>(s: PromiseSettledResult<T>) => (s.status === 'fulfilled' ? s.value : undefined);
    await Promise.allSettled([ok(tmp)?.teardown(), ok(kf)?.stop(), ok(reg)?.stop()]);
    await ok(pg)?.stop().catch(() => undefined);
    throw [pg, kf, reg, tmp].find((s) => s.status === 'rejected')!.reason;
  }
  const [postgres, kafka, registry, temporal] = [pg.value, kf.value, reg.value, tmp.value];
  const harbor = await startHarborProcess(registry.url);
  const database = connect(postgres.url, { max: opts.pool ?? 10 });
  await migrateDatabase(database);
  const changes = listenForChanges(postgres.url, quiet);
  const secretsKey = randomBytes(32);
  const secrets = createSecretBox(secretsKey);
  const auth = await startTestAuth();
  const taskQueue = 'bench';
  // The virtual registries' cache on disk, shared by the API's pull path and the worker's purges, as deployed.
  const cacheDir = mkdtempSync(join(tmpdir(), 'modelregistry-bench-cache-'));
  // The server's request and response go with each request, as `serve({ fetch: app.fetch })` passes them (the pull path writes blobs to the response).
  const served: { fetch?: (req: Request, env: HttpBindings) => Response | Promise<Response> } = {};
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: (req, env) => served.fetch!(req, env as HttpBindings), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // What the worker and the API process are both configured with, as deployed.
  const serverEnv = {
    DATABASE_URL: postgres.url,
    ...temporal.processEnv,
    TEMPORAL_TASK_QUEUE: taskQueue,
    HARBOR_URL: harbor.url,
    HARBOR_REGISTRY_ADDRESS: REGISTRY,
    HARBOR_USERNAME: harbor.username,
    HARBOR_PASSWORD: harbor.password,
    SECRETS_KEY: secretsKey.toString('base64'),
    CACHE_DIR: cacheDir,
  };
  const workerEnv = {
    ...serverEnv,
    KAFKA_BROKERS: kafka.bootstrap,
    KAFKA_TOPIC: 'bench-events',
    WEBHOOK_RECEIVER_URL: opts.webhooksToApi ? `${base}/api/v1/webhooks/harbor` : 'http://127.0.0.1:9/unused',
  };
  const workers: Awaited<ReturnType<typeof spawnWorker>>[] = [];
  const addWorker = async () => {
    const worker = await spawnWorker(workerEnv, { nodeArgs: profileArgs() });
    workers.push(worker);
    return worker.child.pid!;
  };
  if (opts.worker) await addWorker();
  const app = createApp({ db: database.db, client: temporal.client, taskQueue, mutationWaitMs: 60_000, bodyLimitBytes: 1 << 20, logger: quiet, registries: [REGISTRY], secrets, auth: auth.deps, webhookDispatchConcurrency: opts.dispatchConcurrency, cacheStore: createFsObjectStore(cacheDir), changes });
  served.fetch = app.fetch;
  // The gRPC API beside it, as the API process serves it: the same database, Temporal, token issuer.
  const grpc = opts.grpc
    ? await startGrpcServer({ db: database.db, client: temporal.client, taskQueue, mutationWaitMs: 60_000, logger: quiet, registries: [REGISTRY], secrets, auth: auth.deps }, { port: 0, host: '127.0.0.1' })
    : undefined;
  // The API as deployed: api/server.ts in a process of its own, on the same servers as the in-process app that sets up.
  const apiEnv = {
    ...serverEnv,
    AUTH_ISSUER: auth.issuer.issuer,
    AUTH_AUDIENCE: auth.issuer.audience,
    ...(opts.dispatchConcurrency === undefined ? {} : { WEBHOOK_DISPATCH_CONCURRENCY: String(opts.dispatchConcurrency) }),
  };
  const apis: Awaited<ReturnType<typeof startApiProcess>>[] = [];
  const addApiProcess = async () => {
    const api = await startApiProcess(apiEnv);
    apis.push(api);
    return api;
  };
  if (opts.apiProcess) await addApiProcess();
  const stopWorkers = () => Promise.all(workers.map((w) => w.stop()));
  const stop = async () => {
    await Promise.all(apis.map((a) => a.stop()));
    server.close();
    await grpc?.close();
    await stopWorkers();
    await auth.stop();
    await changes.close();
    await database.close();
    await harbor.stop();
    await temporal.teardown();
    await Promise.all([registry.stop(), kafka.stop(), postgres.stop()]);
    rmSync(cacheDir, { recursive: true, force: true });
  };
  stopOnCrash(stop);
  const headers = { 'content-type': 'application/json', ...bearer(auth.adminToken) };
  const call = (method: string, path: string, body?: unknown) => fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });

  return {
    base,
    /** With `grpc`: the gRPC API's `127.0.0.1:<port>`. */
    grpcAddress: grpc?.address,
    /** The platform administrator's token the requests carry. */
    token: auth.adminToken,
    headers,
    /** With `apiProcess`: api/server.ts in a process of its own, its base URL and pid (the first of `apis`). */
    api: apis[0],
    /** Every API process started so far, each on its own port. */
    apis,
    /** Another api/server.ts process on the same servers and configuration. */
    addApiProcess,
    /** The (first) worker process's pid, to read its memory from /proc. */
    workerPid: workers[0]?.child.pid,
    /** Another worker process on the same task queue; resolves to its pid once it has started. */
    addWorker,
    /** Where every server's process is found for /proc: under this process, or PostgreSQL's daemonised postmaster. */
    processRoots: [process.pid, await postgres.pid()],
    /** The directory of the API's virtual registry cache (the filesystem store). */
    cacheDir,
    /** The OCI registry behind the emulator. */
    registryUrl: registry.url,
    /** Kafka's bootstrap address and the topic the worker publishes to (a baseline produces the same events). */
    kafka: { bootstrap: kafka.bootstrap, topic: workerEnv.KAFKA_TOPIC },
    call,
    database,
    harbor,
    secrets,
    temporal,
    /** A tenant and an onboarded project. */
    async project(name: string) {
      await call('POST', '/api/v1/tenants', { name: 'bench', companyName: 'Bench', url: 'https://bench.example' });
      const res = await call('POST', '/api/v1/projects', { name, display_name: name, tenantId: 'bench' });
      if (res.status !== 201) throw new Error(`onboarding ${name}: ${res.status} ${await res.text()}`);
    },
    /** Stops the workers: what the API hands to Temporal then waits in its task queue. */
    async stopWorker() {
      await stopWorkers();
    },
    /** Which Temporal this run is on, for the benchmark's description. */
    temporalDescription: TEMPORAL_DESCRIPTION,
    record(name: string, results: Record<string, unknown>) {
      const full = { ...results, temporal: TEMPORAL_DESCRIPTION, date: new Date().toISOString(), machine: `${cpus().length} cores` };
      console.log(JSON.stringify(full, null, 2));
      mkdirSync('bench/results', { recursive: true });
      writeFileSync(`bench/results/${name}${process.env.BENCH_TEMPORAL ? `-temporal-${benchTemporal}` : ''}.json`, `${JSON.stringify(full, null, 2)}\n`);
    },
    stop,
  };
}

/**
 * A benchmark that throws (or is interrupted) stops every server it started before it exits, instead
 * of leaving PostgreSQL, Kafka, Temporal, the registry, the emulator and the worker behind; a stop that
 * hangs is cut short after 30 s.
 */
function stopOnCrash(stop: () => Promise<void>) {
  const crash = (why: unknown) => {
    console.error('benchmark failed:', why);
    setTimeout(() => process.exit(1), 30_000).unref();
    void stop()
      .catch((err: unknown) => console.error('stopping the servers:', err))
      .finally(() => process.exit(1));
  };
  process.once('uncaughtException', crash);
  process.once('unhandledRejection', crash);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => crash(signal));
}

/** BENCH_CPU_PROFILE=<dir>: the worker and emulator processes write V8 CPU profiles there. */
const profileArgs = () => (process.env.BENCH_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROFILE}`] : []);

/**
 * api/server.ts, the API's production entry point, in a process of its own with the environment it is
 * deployed with (LOG_LEVEL info: a log line per request, written to a file); resolves once it listens.
 */
async function startApiProcess(env: Record<string, string>) {
  const [port, grpcPort] = [await freePort(), await freePort()];
  const logFile = join(tmpdir(), `modelregistry-bench-api-${process.pid}-${port}.log`);
  const log = openSync(logFile, 'w');
  const child = spawn(process.execPath, [...profileArgs(), '--import', 'tsx', 'api/server.ts'], {
    env: { ...process.env, ...env, API_HOST: '127.0.0.1', API_PORT: String(port), GRPC_PORT: String(grpcPort) },
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failed = exited.then(() => {
    throw new Error(`the API process exited:\n${readFileSync(logFile, 'utf8').slice(-4000)}`);
  });
  await Promise.race([waitForPort(port, 60_000, 'the API process'), failed]);
  failed.catch(() => undefined);
  return {
    base: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    /** SIGTERM (a graceful shutdown), SIGKILL if it has not exited after 10 s. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(hard);
      }
      rmSync(logFile, { force: true });
    },
  };
}

/** The Harbor emulator as a separate process (bench/harbor-process.ts). */
export async function startHarborProcess(registryUrl: string) {
  const child = spawn(process.execPath, [...profileArgs(), '--import', 'tsx', 'bench/harbor-process.ts', registryUrl], { stdio: ['ignore', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the Harbor emulator exited (${code})`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  const info = JSON.parse(first) as { url: string; username: string; password: string };
  return {
    ...info,
    pid: child.pid!,
    stop: () => new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}

/** Pushes `count` real ModelPack artifacts (tags 1.0.0…) spread over `repositories` repositories, `concurrency` at a time. */
export async function pushMany(registryUrl: string, project: string, count: number, repositories: number, concurrency = 8) {
  const { pushModel } = await import('../test/harbor/oci-push');
  const pushed: { repository: string; tag: string; digest: string }[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const repository = `model-${i % repositories}`;
        const tag = `1.0.${Math.floor(i / repositories)}`;
        const { digest } = await pushModel(registryUrl, `${project}/${repository}`, tag);
        pushed.push({ repository, tag, digest });
      }
    }),
  );
  return pushed;
}
