/**
 * Scale-out (issue #18), in one run on one PostgreSQL and one Temporal: phase 1 with one API process
 * (api/server.ts) and one worker process (worker.ts), phase 2 with two of each (a second of each
 * added to the same servers), the same offered load in both. Each phase measures
 *
 * - push-to-catalogue throughput: `pushes` artifacts pushed beforehand (a fresh project per
 *   phase), then their PUSH_ARTIFACT deliveries sent `inFlight` at a time, round-robin over the
 *   API processes, timed from the first send until every image is catalogued; with the CPU
 *   milliseconds per catalogued push summed over every server process (bench/cpu.ts; this process,
 *   which sends and polls, is left out);
 * - webhook ingest throughput: bench/ingest-load.ts (autocannon, a process of its own per API
 *   process, the `connections` split between them) for `seconds`.
 *
 * It throws unless every pushed digest has exactly one images row (none lost, none duplicated) and
 * every 2xx'd delivery has its inbox row. Prints and writes bench/results/scale-out.json with both
 * phases, the ratios phase 2 / phase 1, the load average and the core count: on a 2-core machine
 * two of each share the same cores, so the ratio says what a second process costs, not what it adds.
 *
 *   npx tsx bench/scale-out.ts [pushes per phase=300] [ingest seconds=10] [connections=16] [in flight=16]
 */
import { execFile } from 'node:child_process';
import { loadavg } from 'node:os';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { projects } from '../db/schema';
import { cpuBetween, cpuMsOf, sampleCpu, temporalShareMs } from './cpu';
import { pushMany, startBench } from './harness';

const run = promisify(execFile);
const pushes = Number(process.argv[2] ?? 300);
const seconds = Number(process.argv[3] ?? 10);
const connections = Number(process.argv[4] ?? 16);
const inFlight = Number(process.argv[5] ?? 16);
/** This process in the CPU figures: it generates the load, so it is not counted. */
const GENERATOR = 'bench process (sends and polls)';
const WORKER = 'node worker.ts';

const bench = await startBench({ worker: true, apiProcess: true });
const sql = bench.database.sql;
const harborAuth = `Basic ${Buffer.from(`${bench.harbor.username}:${bench.harbor.password}`).toString('base64')}`;
const webhookSecret = async (project: string) => {
  const [row] = await bench.database.db.select({ id: projects.id, secret: projects.webhookSecret }).from(projects).where(eq(projects.name, project));
  return { id: row!.id, authorization: `Bearer ${bench.secrets.open(row!.secret!)}` };
};

// Everything pushed before any measuring: real pushes are slower than either phase's import.
const loadBefore = loadavg()[0]!;
await bench.project('ingest');
const pushedFor: Record<string, Awaited<ReturnType<typeof pushMany>>> = {};
for (const project of ['scale-one', 'scale-two']) {
  await bench.project(project);
  pushedFor[project] = await pushMany(bench.harbor.url, project, pushes, 20);
  // Harbor has pushed artifacts in its database; the emulator reads a changed repository from the registry once.
  for (const repository of new Set(pushedFor[project].map((p) => p.repository))) {
    const res = await fetch(`${bench.harbor.url}/api/v2.0/projects/${project}/repositories/${repository}/artifacts?page_size=1`, { headers: { authorization: harborAuth } });
    if (!res.ok) throw new Error(`listing ${project}/${repository}: ${res.status}`);
    await res.body?.cancel();
  }
}

let sequence = 0;
/** The worker processes' pids, to show how the work spread over them. */
const workerPids = [bench.workerPid!];
/** Sends every push's delivery, `inFlight` at a time, round-robin over the API processes; times it until all are catalogued. */
async function pushToCatalogue(project: string) {
  const pushed = pushedFor[project]!;
  const { id, authorization } = await webhookSecret(project);
  const receivers = bench.apis.map((a) => `${a.base}/api/v1/webhooks/harbor`);
  const digests = `{${pushed.map((p) => p.digest).join(',')}}`;
  const catalogued = async () => (await sql`select count(distinct digest)::int as n from modelregistry.images where digest = any(${digests}::text[])`)[0]!.n as number;
  let answered = 0;
  let retried = 0;
  let next = 0;
  const cpuBefore = sampleCpu(bench.processRoots, GENERATOR);
  const pids = { api: bench.apis.map((a) => a.pid), worker: workerPids };
  const ownBefore = { api: pids.api.map(cpuMsOf), worker: pids.worker.map(cpuMsOf) };
  const t0 = performance.now();
  const sending = Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < pushed.length) {
        const i = next++;
        const p = pushed[i]!;
        const body = JSON.stringify({
          type: 'PUSH_ARTIFACT',
          occur_at: 1_800_000_000 + sequence++,
          operator: 'bench',
          event_data: {
            resources: [{ digest: p.digest, tag: p.tag, resource_url: `harbor.bench/${project}/${p.repository}:${p.tag}` }],
            repository: { name: p.repository, namespace: project, repo_full_name: `${project}/${p.repository}`, repo_type: 'private' },
          },
        });
        // As Harbor does, a delivery that is not answered 2xx is sent again (to the next receiver).
        for (let attempt = 0; ; attempt++) {
          const res = await fetch(receivers[(i + attempt) % receivers.length]!, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body });
          await res.body?.cancel();
          if (res.ok) break;
          if (attempt === 4) throw new Error(`${project}: delivery of ${p.digest} answered ${res.status} five times`);
          retried++;
        }
        answered++;
      }
    }),
  );
  await sending;
  const sendSeconds = (performance.now() - t0) / 1000;
  const deadline = performance.now() + 300_000;
  let done = 0;
  while ((done = await catalogued()) < pushed.length && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuBetween(cpuBefore, sampleCpu(bench.processRoots, GENERATOR));
  const spent = (kind: 'api' | 'worker') => pids[kind].map((pid, i) => Math.round(cpuMsOf(pid) - ownBefore[kind][i]!));
  const spread = { api: spent('api'), worker: spent('worker') };

  // None lost, none duplicated: exactly one images row per pushed digest.
  const rows = await sql`select digest, count(*)::int as n from modelregistry.images where digest = any(${digests}::text[]) group by digest`;
  const duplicated = rows.filter((r) => (r.n as number) !== 1).length;
  if (rows.length !== pushed.length || duplicated > 0) throw new Error(`${project}: ${pushed.length} pushed, ${rows.length} catalogued, ${duplicated} with more than one images row`);
  const inbox = (await sql`select count(*)::int as n from modelregistry.webhook_events where project_id = ${id}`)[0]!.n as number;
  if (inbox < answered) throw new Error(`${project}: ${answered} deliveries answered 2xx, ${inbox} inbox rows`);
  const counted = cpu.total_ms - (cpu.by_process_ms[GENERATOR] ?? 0);
  return {
    pushes: pushed.length,
    catalogued: done,
    images_rows: rows.length,
    inbox_rows: inbox,
    retried_deliveries: retried,
    send_seconds: Number(sendSeconds.toFixed(1)),
    seconds_until_all_catalogued: Number(elapsed.toFixed(1)),
    catalogued_per_second: Number((pushed.length / elapsed).toFixed(1)),
    cpu_ms_per_push: Number((counted / pushed.length).toFixed(1)),
    // How the work spread: each API and worker process's CPU over the phase, in the order they were started.
    cpu_ms_by_api_process: spread.api,
    cpu_ms_by_worker_process: spread.worker,
    cpu_ms_per_push_by_process: Object.fromEntries(Object.entries(cpu.by_process_ms).map(([k, v]) => [k, Number((v / pushed.length).toFixed(1))])),
    temporal_cpu_ms_per_push: Number((temporalShareMs(cpu.by_process_ms) / pushed.length).toFixed(1)),
  };
}

interface Load { per_second: number; p50_ms: number; p99_ms: number; ok_2xx: number; non_2xx: number; errors: number; total: number }
/** autocannon (bench/ingest-load.ts) against every API process at once, one generator process each, the connections split between them. */
async function ingest() {
  const { authorization } = await webhookSecret('ingest');
  const count = async () => (await sql`select count(*)::int as n from modelregistry.webhook_events`)[0]!.n as number;
  const fire = (duration: number) =>
    Promise.all(
      bench.apis.map(async (api) => {
        const share = String(Math.max(1, Math.round(connections / bench.apis.length)));
        const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/ingest-load.ts', `${api.base}/api/v1/webhooks/harbor`, String(duration), share], { env: { ...process.env, INGEST_AUTHORIZATION: authorization } });
        const load = JSON.parse(stdout) as Load;
        if (load.non_2xx || load.errors) throw new Error(`${api.base}: ${load.non_2xx} non-2xx, ${load.errors} errors`);
        return load;
      }),
    );
  await fire(3); // warm-up: JIT, connections, prepared statements
  const before = await count();
  const loads = await fire(seconds);
  const stored = (await count()) - before;
  const ok = loads.reduce((a, l) => a + l.ok_2xx, 0);
  // Requests still in flight when a generator stopped may add rows, never fewer rows than 2xx.
  if (stored < ok) throw new Error(`ingest: ${ok} deliveries answered 2xx, ${stored} inbox rows`);
  return {
    per_second: loads.reduce((a, l) => a + l.per_second, 0),
    // The slower receiver's percentiles: each generator's p99 is its own.
    p50_ms: Math.max(...loads.map((l) => l.p50_ms)),
    p99_ms: Math.max(...loads.map((l) => l.p99_ms)),
    ok_2xx: ok,
    inbox_rows: stored,
    by_api_process: loads,
  };
}

/**
 * Waits until the ingest backlog is handed to Temporal and the workers have worked it off (their
 * CPU under 10 % over 2 s, or 120 s passed), so that it does not weigh on the next measurement.
 */
async function settle() {
  const deadline = performance.now() + 120_000;
  while ((await sql`select count(*)::int as n from modelregistry.webhook_events where dispatched_at is null`)[0]!.n > 0 && performance.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  while (performance.now() < deadline) {
    const before = sampleCpu(bench.processRoots, GENERATOR);
    await new Promise((r) => setTimeout(r, 2000));
    if ((cpuBetween(before, sampleCpu(bench.processRoots, GENERATOR)).by_process_ms[WORKER] ?? 0) < 200 * workerPids.length) return;
  }
}

async function phase(project: string) {
  const load_average_1m_before = loadavg()[0]!;
  const push = await pushToCatalogue(project);
  const webhookIngest = await ingest();
  await settle();
  const figures = { api_processes: bench.apis.length, worker_processes: workerPids.length, push_to_catalogue: push, webhook_ingest: webhookIngest, load_average_1m: { before: load_average_1m_before, after: loadavg()[0]! } };
  console.error(`${bench.apis.length} API + ${workerPids.length} worker processes: ${push.catalogued_per_second} catalogued/s (${push.cpu_ms_per_push} CPU ms a push), ingest ${webhookIngest.per_second}/s p99 ${webhookIngest.p99_ms} ms`);
  return figures;
}

const one = await phase('scale-one');
await bench.addApiProcess();
workerPids.push(await bench.addWorker());
const two = await phase('scale-two');

const ratio = (a: number, b: number) => Number((a / b).toFixed(2));
bench.record('scale-out', {
  benchmark: `scale-out: ${pushes} PUSH_ARTIFACT deliveries a phase (${inFlight} in flight, round-robin over the API processes, artifacts pushed beforehand) timed until all are catalogued, and webhook ingest (autocannon, ${connections} connections split over the API processes, ${seconds} s); phase 1 one api/server.ts + one worker.ts, phase 2 two of each, on one PostgreSQL and ${bench.temporalDescription}`,
  ratios: {
    catalogued_per_second: ratio(two.push_to_catalogue.catalogued_per_second, one.push_to_catalogue.catalogued_per_second),
    cpu_ms_per_push: ratio(two.push_to_catalogue.cpu_ms_per_push, one.push_to_catalogue.cpu_ms_per_push),
    ingest_per_second: ratio(two.webhook_ingest.per_second, one.webhook_ingest.per_second),
    ingest_p99: ratio(two.webhook_ingest.p99_ms, one.webhook_ingest.p99_ms),
  },
  targets: { catalogued_per_second_ratio_at_least: 1.6, ingest_per_second_ratio_at_least: 1.6, on: 'a machine with the cores for them' },
  phase_one: one,
  phase_two: two,
  load_average_1m: { before: loadBefore, after: loadavg()[0]! },
});
await bench.stop();
