/**
 * Webhook ingest: autocannon fires valid, distinct Harbor deliveries (Default format, PULL_ARTIFACT,
 * spread over 50 repositories) at the receiver, which commits each to the inbox and signals the
 * repository workflow before answering. The worker stops after onboarding the project: signals queue in Temporal, so the figure
 * is the receiver's. For comparison in the same process: a bare Hono route reading the body, and
 * single-row INSERTs into PostgreSQL over the same pool.
 *
 *   npx tsx bench/webhook-ingest.ts [seconds=10] [connections=16] [dispatch-concurrency=2]
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import autocannon from 'autocannon';
import { eq, sql } from 'drizzle-orm';
import { Hono } from 'hono';
import { projects } from '../db/schema';
import { startBench } from './harness';

const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);
const dispatchConcurrency = Number(process.argv[4] ?? 2);
const bench = await startBench({ worker: true, pool: 10, dispatchConcurrency });
await bench.project('ingest');
await bench.stopWorker();
const [row] = await bench.database.db.select({ secret: projects.webhookSecret }).from(projects).where(eq(projects.name, 'ingest'));
const authorization = `Bearer ${bench.secrets.open(row!.secret!)}`;

let n = 0;
const delivery = () => {
  const i = n++;
  return JSON.stringify({
    type: 'PULL_ARTIFACT',
    occur_at: 1_800_000_000 + i,
    operator: 'bench',
    event_data: {
      resources: [{ digest: `sha256:${randomBytes(32).toString('hex')}`, tag: `1.0.${i}` }],
      repository: { name: `model-${i % 50}`, namespace: 'ingest', repo_full_name: `ingest/model-${i % 50}`, repo_type: 'private' },
    },
  });
};

async function fire(url: string, headers: Record<string, string>) {
  const result = await autocannon({
    url,
    connections,
    duration: seconds,
    requests: [{ method: 'POST', headers: { 'content-type': 'application/json', ...headers }, setupRequest: (req) => ({ ...req, body: delivery() }) }],
  });
  return { per_second: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99, non_2xx: result.non2xx, errors: result.errors, total: result.requests.total };
}

const undispatched = async () => (await bench.database.sql`select count(*)::int as n from modelregistry.webhook_events where dispatched_at is null`)[0]!.n as number;
/** Waits until the dispatcher has handed every stored delivery to Temporal; returns the seconds it took. */
async function drain() {
  const t0 = performance.now();
  while ((await undispatched()) > 0) await new Promise((r) => setTimeout(r, 200));
  return (performance.now() - t0) / 1000;
}

// Warm-up: connections, the prepared statements and the first signals.
await fire(`${bench.base}/api/v1/webhooks/harbor`, { authorization });
await drain();
const before = (await bench.database.sql`select count(*)::int as n from modelregistry.webhook_events`)[0]!.n as number;
const t0 = performance.now();
const receiver = await fire(`${bench.base}/api/v1/webhooks/harbor`, { authorization });
const stored = ((await bench.database.sql`select count(*)::int as n from modelregistry.webhook_events`)[0]!.n as number) - before;
const left = await undispatched();
const drainSeconds = await drain();
const dispatchPerSecond = Math.round(stored / ((performance.now() - t0) / 1000));

const bare = new Hono().post('/bare', async (c) => {
  await c.req.json();
  return c.json({ ok: true });
});
const bareServer = await new Promise<ReturnType<typeof serve>>((resolve) => {
  const s = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
});
const bareRoute = await fire(`http://127.0.0.1:${(bareServer.address() as AddressInfo).port}/bare`, {});
bareServer.close();

await bench.database.sql`create table if not exists bench_rows (id uuid primary key default gen_random_uuid(), body jsonb not null)`;
let inserts = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: 10 }, async () => {
    while (performance.now() < until) {
      await bench.database.db.execute(sql`insert into bench_rows (body) values (${delivery()}::jsonb)`);
      inserts++;
    }
  }),
);

bench.record('webhook-ingest', {
  benchmark: 'Harbor webhook ingest: inbox commit + signal-with-start per delivery, over HTTP on loopback',
  seconds,
  connections,
  dispatch_concurrency: dispatchConcurrency,
  receiver,
  inbox_rows: stored,
  undispatched_when_firing_stopped: left,
  seconds_to_dispatch_the_rest: Number(drainSeconds.toFixed(1)),
  handed_to_temporal_per_second: dispatchPerSecond,
  bare_hono_route: bareRoute,
  single_row_insert_per_second: Math.round(inserts / seconds),
  targets: { per_second: 1000, p99_ms: 50 },
});
await bench.stop();
