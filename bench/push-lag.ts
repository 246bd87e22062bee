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
 *   npx tsx bench/push-lag.ts [pushes=1000] [rate=100] [warmup=500]
 */
import { eq, sql } from 'drizzle-orm';
import { images, projects } from '../db/schema';
import { percentile, pushMany, startBench } from './harness';

const count = Number(process.argv[2] ?? 1000);
const rate = Number(process.argv[3] ?? 100);
const warmup = Number(process.argv[4] ?? 500);
const bench = await startBench({ worker: true });
await bench.project('lag');
const pushed = await pushMany(bench.harbor.url, 'lag', warmup + count, 20);
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

const sentAt = new Map<string, number>();
const seenAt = new Map<string, number>();
let failures = 0;
const deliver = async (p: (typeof pushed)[number], i: number) => {
  const body = {
    type: 'PUSH_ARTIFACT',
    occur_at: 1_800_000_000 + i,
    operator: 'bench',
    event_data: {
      resources: [{ digest: p.digest, tag: p.tag, resource_url: `harbor.bench/lag/${p.repository}:${p.tag}` }],
      repository: { name: p.repository, namespace: 'lag', repo_full_name: `lag/${p.repository}`, repo_type: 'private' },
    },
  };
  sentAt.set(p.digest, performance.now());
  const res = await fetch(`${bench.base}/api/v1/webhooks/harbor`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
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

const start = performance.now();
const sends: Promise<void>[] = [];
for (let i = 0; i < pushed.length; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  sends.push(deliver(pushed[i]!, i));
}
await Promise.all(sends);
const sendSeconds = (performance.now() - start) / 1000;
const deadline = performance.now() + 120_000;
while (seenAt.size < pushed.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
polling = false;
await poller;

const lagsOf = (deliveries: typeof pushed) =>
  deliveries.filter((p) => seenAt.has(p.digest)).map((p) => seenAt.get(p.digest)! - sentAt.get(p.digest)!).sort((a, b) => a - b);
const figures = (lags: number[]) => ({ p50_ms: Math.round(percentile(lags, 50)), p99_ms: Math.round(percentile(lags, 99)), max_ms: Math.round(lags.at(-1) ?? 0) });
const steady = lagsOf(pushed.slice(warmup));
bench.record('push-lag', {
  benchmark: `push-to-catalogue lag: ${warmup} + ${count} PUSH_ARTIFACT deliveries in one stream at ${rate}/s (artifacts pushed beforehand), one worker process`,
  achieved_rate_per_second: Number((pushed.length / sendSeconds).toFixed(1)),
  catalogued: seenAt.size,
  failures,
  ...figures(steady),
  warmup: { deliveries: warmup, ...figures(lagsOf(pushed.slice(0, warmup))) },
  targets: { p99_ms: 2000 },
});
await bench.stop();
