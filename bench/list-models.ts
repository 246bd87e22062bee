/**
 * Catalogue reads against their baseline, in one run (issue #18): with 10,000 models in one
 * project's catalogue (rows inserted directly), `GET /api/v1/models/{project}/{model}`, the first
 * page of the list, a deep cursor page, a name prefix and a label filter sorted descending, each
 * against a bare Hono route answering the same JSON bytes from memory (bench/bare-process.ts, the
 * bytes the API answered just before). `api/server.ts` runs in a process of its own as deployed,
 * the bare route in another, and the load generator (bench/get-load.ts, autocannon) in a third,
 * with the same bearer token for the API. The issue's target for the model and the first page:
 * at least 0.4× the bare route's requests/s, p99 under 50 ms.
 *
 *   npx tsx bench/list-models.ts [models=10000] [seconds=10] [connections=8]
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { eq } from 'drizzle-orm';
import { models, projects, repositories } from '../db/schema';
import { cpuMsOf, sampleCpu } from './cpu';
import { startBench } from './harness';

const run = promisify(execFile);
const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 10);
const connections = Number(process.argv[4] ?? 8);
const bench = await startBench({ worker: true, apiProcess: true });
await bench.project('catalogue');
const [project] = await bench.database.db.select({ id: projects.id }).from(projects).where(eq(projects.name, 'catalogue'));
for (let start = 0; start < count; start += 1000) {
  const names = Array.from({ length: Math.min(1000, count - start) }, (_, i) => `model-${String(start + i).padStart(5, '0')}`);
  const repos = await bench.database.db
    .insert(repositories)
    .values(names.map((name) => ({ name, namespace: 'catalogue', fullName: `catalogue/${name}`, projectId: project!.id, harborAddress: 'harbor.bench' })))
    .returning({ id: repositories.id, name: repositories.name });
  await bench.database.db.insert(models).values(repos.map((r) => ({ name: r.name, projectId: project!.id, repositoryId: r.id, author: 'bench', tags: ['bench'] })));
}
await bench.database.sql`analyze`;

const api = bench.api!.base;
const authorization = `Bearer ${bench.token}`;
const get = async (path: string) => {
  const res = await fetch(`${api}${path}`, { headers: { authorization } });
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.text();
};
// A cursor deep in the list: after 100 pages of 50.
let cursor: string | null = null;
for (let i = 0; i < 100; i++) cursor = (JSON.parse(await get(`/api/v1/projects/catalogue/models?limit=50${cursor ? `&cursor=${cursor}` : ''}`)) as { nextCursor: string | null }).nextCursor;

const reads: Record<string, string> = {
  get_model: `/api/v1/models/catalogue/model-${String(Math.floor(count / 2)).padStart(5, '0')}`,
  first_page: '/api/v1/projects/catalogue/models?limit=50',
  page_after_5000: `/api/v1/projects/catalogue/models?limit=50&cursor=${cursor}`,
  name_prefix: '/api/v1/projects/catalogue/models?limit=50&namePrefix=model-077',
  label_filter_sorted_desc: '/api/v1/projects/catalogue/models?limit=50&label=bench&sort=-name',
};
// The baseline answers exactly the bytes the API answered.
const dir = mkdtempSync(join(tmpdir(), 'modelregistry-bench-reads-'));
const bodies = join(dir, 'bodies.json');
writeFileSync(bodies, JSON.stringify(Object.fromEntries(await Promise.all(Object.entries(reads).map(async ([name, path]) => [name, await get(path)])))));
const bareChild = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-process.ts', bodies], { stdio: ['ignore', 'pipe', 'inherit'] });
process.once('exit', () => bareChild.kill('SIGKILL'));
const bare = (JSON.parse(await new Promise<string>((resolve) => createInterface({ input: bareChild.stdout }).once('line', resolve))) as { url: string }).url;

interface Load { per_second: number; p50_ms: number; p99_ms: number; non_2xx: number; errors: number }
/** autocannon in bench/get-load.ts, a process of its own. */
async function fire(url: string, duration: number, withToken: boolean): Promise<Load> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/get-load.ts', url, String(duration), String(connections)], { env: { ...process.env, ...(withToken ? { BENCH_AUTHORIZATION: authorization } : {}) } });
  const load = JSON.parse(stdout) as Load;
  if (load.non_2xx || load.errors) throw new Error(`${url}: ${load.non_2xx} non-2xx, ${load.errors} errors`);
  return load;
}

/** PostgreSQL's CPU so far (ms): its postmaster and every backend, from /proc. */
const postgresCpu = () => [...sampleCpu([bench.processRoots[1]!]).values()].reduce((a, b) => a + b, 0);
const loadBefore = loadavg()[0]!;
const results: Record<string, unknown> = {};
for (const [name, path] of Object.entries(reads)) {
  // Warm-up of both (JIT, connections, prepared statements, the verified-token cache), then the API, then its baseline.
  await fire(`${api}${path}`, 2, true);
  await fire(`${bare}/${name}`, 2, false);
  const [apiBefore, pgBefore] = [cpuMsOf(bench.api!.pid), postgresCpu()];
  const service = await fire(`${api}${path}`, seconds, true);
  const [apiAfter, pgAfter] = [cpuMsOf(bench.api!.pid), postgresCpu()];
  const bareBefore = cpuMsOf(bareChild.pid!);
  const baseline = await fire(`${bare}/${name}`, seconds, false);
  const bareAfter = cpuMsOf(bareChild.pid!);
  const perRequest = (ms: number, load: Load) => Number((ms / (load.per_second * seconds)).toFixed(3));
  results[name] = {
    ratio_requests_per_second: Number((service.per_second / baseline.per_second).toFixed(3)),
    ratio_p99: Number((service.p99_ms / Math.max(1, baseline.p99_ms)).toFixed(1)),
    api: {
      per_second: service.per_second,
      p50_ms: service.p50_ms,
      p99_ms: service.p99_ms,
      cpu_ms_per_request: perRequest(apiAfter - apiBefore, service),
      postgres_cpu_ms_per_request: perRequest(pgAfter - pgBefore, service),
    },
    bare_route: { per_second: baseline.per_second, p50_ms: baseline.p50_ms, p99_ms: baseline.p99_ms, cpu_ms_per_request: perRequest(bareAfter - bareBefore, baseline) },
  };
}
bareChild.kill('SIGTERM');
rmSync(dir, { recursive: true, force: true });
bench.record('list-models', {
  benchmark: `catalogue reads with ${count} models in the project, each against a bare Hono route answering the same bytes from memory, ${connections} connections, ${seconds} s each; API, bare route and load generator in processes of their own`,
  models: count,
  ...results,
  load_average: { before: loadBefore, after: loadavg()[0] },
  targets: { get_model_and_first_page: { ratio_requests_per_second: 0.4, p99_ms: 50 } },
});
await bench.stop();
