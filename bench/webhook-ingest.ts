/**
 * Webhook ingest against its baseline, in one run (issue #18): the receiver of api/server.ts, in a
 * process of its own as deployed, commits each delivery to the inbox before answering and hands it
 * to Temporal after; the baseline is a bare Hono route reading the same bodies (bench/bare-process.ts,
 * also a process of its own). The load generator (bench/ingest-load.ts, autocannon) runs in a
 * third process, so neither server shares its event loop. The worker stops after onboarding the
 * project: signals queue in Temporal, so the figure is the receiver's. The ratios are the target:
 * requests/s at least 0.5 of the bare route's, p99 at most 2× its p99. Also, for scale: single-row
 * INSERTs into PostgreSQL from this process over a pool of 10, and how fast the dispatcher hands the
 * backlog to Temporal. Every 2xx must have its inbox row (else the script throws).
 *
 *   npx tsx bench/webhook-ingest.ts [seconds=10] [connections=16] [dispatch-concurrency=2]
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { eq, sql } from 'drizzle-orm';
import { projects } from '../db/schema';
import { startBench } from './harness';

const run = promisify(execFile);
const seconds = Number(process.argv[2] ?? 10);
const connections = Number(process.argv[3] ?? 16);
const dispatchConcurrency = Number(process.argv[4] ?? 2);
const bench = await startBench({ worker: true, pool: 10, dispatchConcurrency, apiProcess: true });
await bench.project('ingest');
await bench.stopWorker();
const [row] = await bench.database.db.select({ secret: projects.webhookSecret }).from(projects).where(eq(projects.name, 'ingest'));
const authorization = `Bearer ${bench.secrets.open(row!.secret!)}`;

const bareChild = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-process.ts'], { stdio: ['ignore', 'pipe', 'inherit'] });
process.once('exit', () => bareChild.kill('SIGKILL'));
const bareUrl = (JSON.parse(await new Promise<string>((resolve) => createInterface({ input: bareChild.stdout }).once('line', resolve))) as { url: string }).url;

interface Load { per_second: number; p50_ms: number; p99_ms: number; ok_2xx: number; non_2xx: number; errors: number; total: number }
/** autocannon in bench/ingest-load.ts, a process of its own. */
async function fire(url: string, duration: number, secret?: string): Promise<Load> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/ingest-load.ts', url, String(duration), String(connections)], { env: { ...process.env, ...(secret ? { INGEST_AUTHORIZATION: secret } : {}) } });
  const load = JSON.parse(stdout) as Load;
  if (load.non_2xx || load.errors) throw new Error(`${url}: ${load.non_2xx} non-2xx, ${load.errors} errors`);
  return load;
}

const count = async () => (await bench.database.sql`select count(*)::int as n from modelregistry.webhook_events`)[0]!.n as number;
const undispatched = async () => (await bench.database.sql`select count(*)::int as n from modelregistry.webhook_events where dispatched_at is null`)[0]!.n as number;
/** Waits until the dispatcher has handed every stored delivery to Temporal; returns the seconds it took. */
async function drain() {
  const t0 = performance.now();
  while ((await undispatched()) > 0) await new Promise((r) => setTimeout(r, 200));
  return (performance.now() - t0) / 1000;
}

const receiverUrl = `${bench.api!.base}/api/v1/webhooks/harbor`;
const loadBefore = loadavg()[0]!;
// Warm-up of both: JIT, connections, the prepared statements, the first signals.
await fire(receiverUrl, 3, authorization);
await drain();
await fire(bareUrl, 3);
const before = await count();
const t0 = performance.now();
const receiver = await fire(receiverUrl, seconds, authorization);
const stored = (await count()) - before;
// Requests still in flight when the generator stopped may add rows, never fewer rows than 2xx.
if (stored < receiver.ok_2xx) throw new Error(`${receiver.ok_2xx} deliveries answered 2xx, ${stored} inbox rows`);
const left = await undispatched();
const drainSeconds = await drain();
const dispatchPerSecond = Math.round(stored / ((performance.now() - t0) / 1000));
const bareRoute = await fire(bareUrl, seconds);
bareChild.kill('SIGTERM');
const loadAfter = loadavg()[0]!;

await bench.database.sql`create table if not exists bench_rows (id uuid primary key default gen_random_uuid(), body jsonb not null)`;
let inserts = 0;
const until = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: 10 }, async () => {
    while (performance.now() < until) {
      await bench.database.db.execute(sql`insert into bench_rows (body) values (${JSON.stringify({ digest: randomBytes(32).toString('hex') })}::jsonb)`);
      inserts++;
    }
  }),
);

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
bench.record('webhook-ingest', {
  benchmark: 'Harbor webhook ingest (api/server.ts in its own process: inbox commit, then the answer, then signal-with-start) against a bare Hono route reading the same bodies (its own process), autocannon in a third process, over HTTP on loopback',
  seconds,
  connections,
  dispatch_concurrency: dispatchConcurrency,
  ratios: { per_second: ratio(receiver.per_second, bareRoute.per_second), p99: ratio(receiver.p99_ms, bareRoute.p99_ms) },
  targets: { per_second_ratio_at_least: 0.5, p99_ratio_at_most: 2 },
  receiver,
  bare_hono_route: bareRoute,
  inbox_rows: stored,
  undispatched_when_firing_stopped: left,
  seconds_to_dispatch_the_rest: Number(drainSeconds.toFixed(1)),
  handed_to_temporal_per_second: dispatchPerSecond,
  single_row_insert_per_second: Math.round(inserts / seconds),
  load_average_1m: { before: loadBefore, after: loadAfter },
});
await bench.stop();
