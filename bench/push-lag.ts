/**
 * Push-to-catalogue lag at a steady rate: the artifacts are pushed to the emulator's registry
 * first (real pushes, webhooks going nowhere), then their PUSH_ARTIFACT deliveries are sent to
 * the receiver at `rate` per second, as Harbor would send them. Lag is from a delivery's send to
 * its image being in the catalogue (polled every 50 ms), through inbox, dispatcher, repository
 * workflow and import, with one worker.
 *
 * The first `warmup` deliveries start the stream and are reported apart (a fresh worker, fresh
 * connections, a JIT that has compiled nothing); the `pushes` after them, in the same unbroken
 * stream, are the steady state.
 *
 * The API runs as deployed (api/server.ts in a process of its own). CPU per catalogued push is the
 * CPU time of every server process (API, worker, Temporal, PostgreSQL, Kafka, the emulator, the
 * OCI registry), read from /proc over the steady stream and divided by its pushes; this process,
 * which sends and polls, is reported apart and not counted.
 *
 *   npx tsx bench/push-lag.ts [pushes=1000] [rate=100] [warmup=500]
 *   npx tsx bench/push-lag.ts step [pushes per step=300] [first rate=10]
 *
 * `step` finds the highest rate whose p99 lag stays under 2 s on this machine: streams at the first
 * rate, then ×1.5 each step, until a step misses (p99 ≥ 2 s or a failed delivery); each step's
 * backlog drains before the next starts.
 */
import { eq, sql } from 'drizzle-orm';
import { images, projects } from '../db/schema';
import { cpuBetween, sampleCpu, temporalShareMs } from './cpu';
import { percentile, pushMany, startBench } from './harness';

const TARGET_P99_MS = 2000;
/** This process in the CPU figures: it generates the load, so it is not counted. */
const GENERATOR = 'bench process (sends and polls)';
const stepping = process.argv[2] === 'step';
const args = process.argv.slice(stepping ? 3 : 2);
const count = Number(args[0] ?? (stepping ? 300 : 1000));
const rate = Number(args[1] ?? (stepping ? 10 : 100));
const warmup = stepping ? 0 : Number(args[2] ?? 500);
/** Enough artifacts for every step up to 10 × the first rate. */
const steps = stepping ? Math.ceil(Math.log(10) / Math.log(1.5)) + 2 : 1;

const bench = await startBench({ worker: true, apiProcess: true });
const receiver = `${bench.api!.base}/api/v1/webhooks/harbor`;
await bench.project('lag');
const pushed = await pushMany(bench.harbor.url, 'lag', warmup + count * steps + (stepping ? 100 : 0), 20);
// Harbor has pushed artifacts in its database; the emulator reads a repository from the registry
// once after it changed. One artifact list per repository does that before the stream starts.
const harborAuth = `Basic ${Buffer.from(`${bench.harbor.username}:${bench.harbor.password}`).toString('base64')}`;
for (const repository of new Set(pushed.map((p) => p.repository))) {
  const res = await fetch(`${bench.harbor.url}/api/v2.0/projects/lag/repositories/${repository}/artifacts?page_size=1`, { headers: { authorization: harborAuth } });
  if (!res.ok) throw new Error(`listing ${repository}: ${res.status}`);
  await res.body?.cancel();
}
const [row] = await bench.database.db.select({ secret: projects.webhookSecret }).from(projects).where(eq(projects.name, 'lag'));
const authorization = `Bearer ${bench.secrets.open(row!.secret!)}`;

type Push = (typeof pushed)[number];
const sentAt = new Map<string, number>();
const seenAt = new Map<string, number>();
let failures = 0;
let sequence = 0;
const deliver = async (p: Push) => {
  const body = {
    type: 'PUSH_ARTIFACT',
    occur_at: 1_800_000_000 + sequence++,
    operator: 'bench',
    event_data: {
      resources: [{ digest: p.digest, tag: p.tag, resource_url: `harbor.bench/lag/${p.repository}:${p.tag}` }],
      repository: { name: p.repository, namespace: 'lag', repo_full_name: `lag/${p.repository}`, repo_type: 'private' },
    },
  };
  sentAt.set(p.digest, performance.now());
  const res = await fetch(receiver, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
  if (res.status !== 200) failures++;
  await res.body?.cancel();
};

let polling = true;
const poller = (async () => {
  while (polling) {
    const waiting = [...sentAt.keys()].filter((d) => !seenAt.has(d));
    if (waiting.length > 0) {
      // One array parameter: the same prepared statement every time, whatever the number waiting.
      const found = await bench.database.db.select({ digest: images.digest }).from(images).where(sql`${images.digest} = any(${`{${waiting.join(',')}}`}::text[])`);
      const now = performance.now();
      for (const { digest } of found) if (!seenAt.has(digest)) seenAt.set(digest, now);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
})();

/** Sends `deliveries` at `perSecond` in one stream and waits until each is catalogued (or 120 s pass). */
async function stream(deliveries: Push[], perSecond: number) {
  const failedBefore = failures;
  const cpuBefore = sampleCpu(bench.processRoots, GENERATOR);
  const start = performance.now();
  const sends: Promise<void>[] = [];
  for (let i = 0; i < deliveries.length; i++) {
    const wait = start + (i * 1000) / perSecond - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sends.push(deliver(deliveries[i]!));
  }
  await Promise.all(sends);
  const sendSeconds = (performance.now() - start) / 1000;
  const deadline = performance.now() + 120_000;
  while (deliveries.some((p) => !seenAt.has(p.digest)) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const cpu = cpuBetween(cpuBefore, sampleCpu(bench.processRoots, GENERATOR));
  const catalogued = deliveries.filter((p) => seenAt.has(p.digest)).length;
  return { achievedRate: deliveries.length / sendSeconds, catalogued, failures: failures - failedBefore, cpu };
}

const lagsOf = (deliveries: Push[]) =>
  deliveries.filter((p) => seenAt.has(p.digest)).map((p) => seenAt.get(p.digest)! - sentAt.get(p.digest)!).sort((a, b) => a - b);
const figures = (lags: number[]) => ({ p50_ms: Math.round(percentile(lags, 50)), p99_ms: Math.round(percentile(lags, 99)), max_ms: Math.round(lags.at(-1) ?? 0) });
const perPush = (cpu: { total_ms: number; by_process_ms: Record<string, number> }, n: number) => ({
  cpu_ms_per_push: Number(((cpu.total_ms - (cpu.by_process_ms[GENERATOR] ?? 0)) / n).toFixed(1)),
  cpu_ms_per_push_by_process: Object.fromEntries(Object.entries(cpu.by_process_ms).map(([k, v]) => [k, Number((v / n).toFixed(1))])),
  temporal_cpu_ms_per_push: Number((temporalShareMs(cpu.by_process_ms) / n).toFixed(1)),
});

if (stepping) {
  // Connections, JIT and worker warmed on a short stream first, reported with the rest.
  await stream(pushed.slice(0, 100), 20);
  const results = [];
  let offset = 100;
  let perSecond = rate;
  let best: number | undefined;
  for (let step = 0; step < steps; step++) {
    const deliveries = pushed.slice(offset, offset + count);
    offset += count;
    const run = await stream(deliveries, perSecond);
    const lag = figures(lagsOf(deliveries));
    const met = run.failures === 0 && run.catalogued === deliveries.length && lag.p99_ms < TARGET_P99_MS;
    results.push({ rate_per_second: perSecond, achieved_rate_per_second: Number(run.achievedRate.toFixed(1)), catalogued: run.catalogued, failures: run.failures, ...lag, ...perPush(run.cpu, deliveries.length), met });
    console.error(`${perSecond}/s: p99 ${lag.p99_ms} ms, ${perPush(run.cpu, deliveries.length).cpu_ms_per_push} CPU ms/push${met ? '' : ' — missed'}`);
    if (!met) break;
    best = perSecond;
    perSecond = Math.round(perSecond * 1.5);
  }
  bench.record('push-lag-step', {
    benchmark: `push-to-catalogue: the highest rate whose p99 lag stays under ${TARGET_P99_MS} ms, ${count} deliveries a step from ${rate}/s, ×1.5 a step, one worker process`,
    highest_rate_meeting_target_per_second: best ?? null,
    steps: results,
  });
} else {
  const warm = pushed.slice(0, warmup);
  const steady = pushed.slice(warmup);
  // One unbroken stream, with CPU read over the steady part only.
  const warmupDone = stream(warm, rate);
  await new Promise((r) => setTimeout(r, (warm.length * 1000) / rate));
  const run = await stream(steady, rate);
  await warmupDone;
  bench.record('push-lag', {
    benchmark: `push-to-catalogue lag: ${warmup} + ${count} PUSH_ARTIFACT deliveries in one stream at ${rate}/s (artifacts pushed beforehand), one worker process`,
    achieved_rate_per_second: Number(run.achievedRate.toFixed(1)),
    catalogued: run.catalogued,
    failures: run.failures,
    ...figures(lagsOf(steady)),
    ...perPush(run.cpu, steady.length),
    warmup: { deliveries: warmup, ...figures(lagsOf(warm)) },
    targets: { p99_ms: TARGET_P99_MS },
  });
}
polling = false;
await poller;
await bench.stop();
