/**
 * Onboarding benchmark: real Temporal dev server, PostgreSQL, Kafka and the Harbor emulator over a
 * real OCI registry, one worker, the API over HTTP on loopback. Prints p50/p99 latency and the
 * sustained onboardings per second, and writes them to bench/results/onboarding.json.
 *
 *   npx tsx bench/onboarding.ts [count=200] [concurrency=8]
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { AddressInfo } from 'node:net';
import { createHarborInstances } from '../activities/harbor';
import { createKafkaPublisher } from '../activities/kafka';
import { createApp } from '../api/app';
import { connect } from '../db/client';
import { migrateDatabase } from '../db/migrate';
import { logger } from '../lib/logger';
import { createSecretBox } from '../lib/secrets';
import { createWorker } from '../lib/worker';
import { startHarborEmulator } from '../test/harbor-emulator';
import { startKafka } from '../test/servers/kafka';
import { startOciRegistry } from '../test/servers/oci-registry';
import { startPostgres } from '../test/servers/postgres';
import { SEARCH_ATTRIBUTES, temporalExecutable } from '../test/servers/temporal';
import { bearer, startTestAuth } from '../test/support/auth';

const count = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 8);
const quiet = logger.child({}, { level: 'silent' });
Runtime.install({ logger: new DefaultLogger('WARN') });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const [postgres, kafka, registry, temporal] = await Promise.all([
  startPostgres(),
  startKafka(),
  startOciRegistry(),
  TestWorkflowEnvironment.createLocal({ server: { executable: { type: 'existing-path', path: temporalExecutable() }, ip: '127.0.0.1', searchAttributes: SEARCH_ATTRIBUTES } }),
]);
const harbor = await startHarborEmulator({ registryUrl: registry.url, validate: 'record' });
const database = connect(postgres.url, { max: 10 });
await migrateDatabase(database);
const secrets = createSecretBox(randomBytes(32));
const deps = {
  db: database.db,
  harbor: createHarborInstances([{ address: 'harbor.bench', url: harbor.url, username: harbor.username, password: harbor.password }]),
  events: createKafkaPublisher({ bootstrapBrokers: [kafka.bootstrap], topic: 'bench-events' }),
  secrets,
  webhookReceiverUrl: 'http://127.0.0.1:9/unused',
  temporal: { client: temporal.client, taskQueue: 'bench' },
};
const taskQueue = 'bench';
const worker = await createWorker({ connection: temporal.nativeConnection, namespace: 'default', taskQueue, deps });
const workerRun = worker.run();
workerRun.catch((err: unknown) => console.error('worker stopped:', err));
const auth = await startTestAuth();
const app = createApp({ db: database.db, client: temporal.client, taskQueue, mutationWaitMs: 30_000, bodyLimitBytes: 1 << 20, logger: quiet, registries: ['harbor.bench'], secrets, auth: auth.deps });
const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const post = (path: string, body: unknown) => fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...bearer(auth.adminToken) }, body: JSON.stringify(body) });
if ((await post('/api/v1/tenants', { name: 'bench', companyName: 'Bench', url: 'https://bench.example' })).status !== 201) throw new Error('tenant not created');

// Warm-up: the first workflow run pays for the bundle load and connections.
for (let i = 0; i < 5; i++) await post('/api/v1/projects', { name: `warmup-${i}`, display_name: 'w', tenantId: 'bench' });

const latencies: number[] = [];
let failures = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const res = await post('/api/v1/projects', { name: `bench-${i}`, display_name: `Bench ${i}`, tenantId: 'bench', members: [{ group: `bench-${i}-devs`, role: 'developer' }] });
      latencies.push(performance.now() - t0);
      if (res.status !== 201) failures++;
      await res.body?.cancel();
    }
  }),
);
const elapsedS = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
const results = {
  benchmark: 'project onboarding over HTTP (Harbor emulator, real Temporal, PostgreSQL, Kafka; one worker)',
  date: new Date().toISOString(),
  machine: `${(await import('node:os')).cpus().length} cores`,
  count,
  concurrency,
  failures,
  p50_ms: Math.round(percentile(latencies, 50)),
  p99_ms: Math.round(percentile(latencies, 99)),
  per_second: Number((count / elapsedS).toFixed(2)),
  targets: { p50_ms: 1500, per_second: 5 },
};
console.log(JSON.stringify(results, null, 2));
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/onboarding.json', `${JSON.stringify(results, null, 2)}\n`);

server.close();
if (worker.getState() === 'RUNNING') worker.shutdown();
await workerRun.catch(() => undefined);
await deps.events.close();
await database.close();
await harbor.stop();
await temporal.teardown();
await Promise.all([registry.stop(), kafka.stop(), postgres.stop()]);
