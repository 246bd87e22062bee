/**
 * Onboarding benchmark: real Temporal dev server, PostgreSQL, Kafka and the Harbor emulator over a
 * real OCI registry, one worker, the API over HTTP on loopback. Prints p50/p99 latency and the
 * sustained onboardings per second, and writes them to bench/results/onboarding.json.
 *
 *   npx tsx bench/onboarding.ts [count=200] [concurrency=8]
 */
import { percentile, startBench } from './harness';

const count = Number(process.argv[2] ?? 200);
const concurrency = Number(process.argv[3] ?? 8);
const bench = await startBench({ worker: true });
if ((await bench.call('POST', '/api/v1/tenants', { name: 'bench', companyName: 'Bench', url: 'https://bench.example' })).status !== 201) throw new Error('tenant not created');

// Warm-up: the first workflow run pays for the bundle load and connections.
for (let i = 0; i < 5; i++) await bench.call('POST', '/api/v1/projects', { name: `warmup-${i}`, display_name: 'w', tenantId: 'bench' });

const latencies: number[] = [];
let failures = 0;
let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < count) {
      const i = next++;
      const t0 = performance.now();
      const res = await bench.call('POST', '/api/v1/projects', { name: `bench-${i}`, display_name: `Bench ${i}`, tenantId: 'bench', members: [{ group: `bench-${i}-devs`, role: 'developer' }] });
      latencies.push(performance.now() - t0);
      if (res.status !== 201) failures++;
      await res.body?.cancel();
    }
  }),
);
const elapsedS = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
bench.record('onboarding', {
  benchmark: 'project onboarding over HTTP (Harbor emulator, real Temporal, PostgreSQL, Kafka; one worker)',
  count,
  concurrency,
  failures,
  p50_ms: Math.round(percentile(latencies, 50)),
  p99_ms: Math.round(percentile(latencies, 99)),
  per_second: Number((count / elapsedS).toFixed(2)),
  targets: { p50_ms: 1500, per_second: 5 },
});
await bench.stop();
