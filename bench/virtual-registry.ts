/**
 * The virtual registries' pull path (issue #16), each figure against its baseline in the same run:
 * a cache miss (streamed from the upstream, teed into the cache) against GET of the same blob from
 * the upstream directly; a cache hit against reading the cached object's file from disk; manifests
 * by tag served from the cache against a bare Hono route answering the same bytes from memory. Each
 * blob figure is also set against the least any Node process in the middle costs on the same machine
 * (bench/bare-process.ts: a bare relay of the upstream's GET, and one that also hashes and stores it,
 * for a miss; a bare write of the cached file for a hit), so that what the pull path adds is told apart from what a process in the path costs.
 * The API runs as deployed (api/server.ts in a process of its own, its CPU time read from /proc);
 * blobs are read by bench/vr-read.ts, manifests loaded by autocannon and the bare route served by
 * bench/bare-process.ts, each in a process of its own too.
 *
 *   npx tsx bench/virtual-registry.ts [blobMiB=200] [manifestSeconds=10]
 */
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { pushBlob, putManifest } from '../test/harbor/oci-push';
import { startOciRegistry } from '../test/servers/oci-registry';
import { cpuMsOf } from './cpu';
import { startBench } from './harness';

const blobMiB = Number(process.argv[2] ?? 200);
const manifestSeconds = Number(process.argv[3] ?? 10);
const REPETITIONS = 5;
const CONNECTIONS = 16;
const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const run = promisify(execFile);

const bench = await startBench({ worker: true, apiProcess: true });
const apiPid = bench.api!.pid;
const upstream = await startOciRegistry();
const tenant = 'bench';
const api = `/api/v1/tenants/${tenant}`;
async function must(method: string, path: string, body?: unknown) {
  const res = await bench.call(method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<unknown>;
}
await must('POST', '/api/v1/tenants', { name: tenant, companyName: 'Bench', url: 'https://bench.example' });
await must('POST', `${api}/upstreams`, { name: 'origin', url: upstream.url });
await must('POST', `${api}/virtual-registries`, { name: 'models' });
await must('PUT', `${api}/virtual-registries/models/upstreams`, [{ upstream: 'origin', position: 1 }]);

const repository = 'acme/llama';
const blob = await pushBlob(upstream.url, repository, randomBytes(blobMiB * 1024 * 1024), 'application/vnd.cncf.model.weight.v1.raw');
const config = await pushBlob(upstream.url, repository, Buffer.from('{}'), 'application/vnd.cncf.model.config.v1+json');
await putManifest(upstream.url, repository, '1.0.0', { schemaVersion: 2, mediaType: MANIFEST, config, layers: [blob] });

const pullBase = `${bench.api!.base}/v2/${tenant}/models/${repository}`;
const direct = `${upstream.url}/v2/${repository}/blobs/${blob.digest}`;
const through = `${pullBase}/blobs/${blob.digest}`;

type Read = { bytes: number; seconds: number; digest: string; cache: string | null; cpuMs: number };
/** One read by the reader process: MB/s, its CPU time, and the API process's CPU time meanwhile (/proc), ms per 100 MB. */
async function read(source: string, expectCache?: string, serverPid = apiPid) {
  const cpu = cpuMsOf(serverPid);
  const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/vr-read.ts', source, bench.token]);
  const used = cpuMsOf(serverPid) - cpu;
  const r = JSON.parse(stdout) as Read;
  if (r.digest !== blob.digest || r.bytes !== blob.size) throw new Error(`${source}: read ${r.bytes} bytes hashing to ${r.digest}`);
  if (expectCache && r.cache !== expectCache) throw new Error(`${source}: x-cache ${r.cache}, expected ${expectCache}`);
  const per100MB = (ms: number) => round((ms * 1e8) / r.bytes, 0);
  return { mbPerS: round(r.bytes / 1e6 / r.seconds), readerCpuMsPer100MB: per100MB(r.cpuMs), apiCpuMsPer100MB: per100MB(used) };
}
type Run = Awaited<ReturnType<typeof read>> & { apiCpuMsPer100MBWithCommit?: number };
/**
 * The blob's cache entry is committed once the stream has ended; a HEAD says when (hit). Its md5 is
 * computed from the stored file after that: waited for too, so that work never overlaps the next read.
 */
async function committed() {
  for (const until = Date.now() + 60_000; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    const res = await fetch(through, { method: 'HEAD', headers: bench.headers });
    if (res.headers.get('x-cache') !== 'hit') continue;
    const rows = await bench.database.sql`select 1 from modelregistry.cache_entries where digest = ${blob.digest} and file_md5 is not null`;
    if (rows.length > 0) return;
  }
  throw new Error('the miss was not cached (with its md5) within 60 s');
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
/** Each round rotates which side goes first, so that none always meets a warmer machine. */
async function rounds<K extends string>(sides: Record<K, () => Promise<Run>>, between?: (i: number) => Promise<void>) {
  const names = Object.keys(sides) as K[];
  const runs = Object.fromEntries(names.map((k) => [k, [] as Run[]])) as Record<K, Run[]>;
  for (let i = 0; i < REPETITIONS; i++) {
    for (let j = 0; j < names.length; j++) {
      const side = names[(i + j) % names.length]!;
      runs[side].push(await sides[side]());
    }
    await between?.(i);
  }
  return runs;
}

/** bench/bare-process.ts in a process of its own: its base URL (`…/bare`), stopped when this one exits. */
async function startBare(bodiesFile?: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'bench/bare-process.ts', ...(bodiesFile ? [bodiesFile] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  process.once('exit', () => child.kill('SIGKILL'));
  const { url } = JSON.parse(await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve))) as { url: string };
  return { url, child };
}
/** The least a blob's bytes cost through a Node process: a bare relay of the upstream's GET, a bare write of the file. */
const bareBlobs = await startBare();

// Other processes on the machine share its two cores: the load is recorded with the figures.
const loadBefore = loadavg()[0]!;
/**
 * When each phase ran, on the monotonic clock in µs (what V8's CPU profiles time their samples by), so
 * that a profile of the API process (BENCH_CPU_PROFILE) can be cut into the miss, hit and manifest phases.
 */
const phases: Record<string, [number, number]> = {};
async function phase<T>(name: string, work: () => Promise<T>): Promise<T> {
  const start = Number(process.hrtime.bigint() / 1000n);
  const result = await work();
  phases[name] = [start, Number(process.hrtime.bigint() / 1000n)];
  return result;
}
// Miss vs direct: every miss meets an empty cache (purged after each); the last miss stays cached for the hits.
// The miss's side includes waiting for its commit (and md5), so that work never overlaps the direct read after it.
const missRuns = await phase('miss', () => rounds(
  {
    miss: async () => {
      const cpu = cpuMsOf(apiPid);
      const r = await read(through, 'miss');
      await committed();
      // The miss's whole cost to the API: the answer, then the md5 and sha1 of the stored file and the commit.
      return { ...r, apiCpuMsPer100MBWithCommit: round(((cpuMsOf(apiPid) - cpu) * 1e8) / blob.size, 0) };
    },
    direct: () => read(direct),
    relay: () => read(`${bareBlobs.url}/relay?url=${encodeURIComponent(direct)}`, undefined, bareBlobs.child.pid!),
    verifiedRelay: () => read(`${bareBlobs.url}/verified-relay?url=${encodeURIComponent(direct)}`, undefined, bareBlobs.child.pid!),
  },
  async (i) => {
    if (i < REPETITIONS - 1) await must('DELETE', `${api}/virtual-registries/models/cache`);
  },
));
const [entry] = await bench.database.sql<{ object_storage_key: string }[]>`select object_storage_key from modelregistry.cache_entries where digest = ${blob.digest}`;
const file = join(bench.cacheDir, entry!.object_storage_key);
const hitRuns = await phase('hit', () => rounds({ hit: () => read(through, 'hit'), disk: () => read(file), bare: () => read(`${bareBlobs.url}/file?path=${encodeURIComponent(file)}`, undefined, bareBlobs.child.pid!) }));
bareBlobs.child.kill('SIGTERM');

// Manifests by tag from the cache, and a bare Hono route answering the same bytes from memory in a process of its own, as the API is.
const manifestUrl = `${pullBase}/manifests/1.0.0`;
const first = await fetch(manifestUrl, { headers: bench.headers });
const manifest = await first.text();
const cached = await fetch(manifestUrl, { headers: bench.headers });
if (cached.headers.get('x-cache') !== 'hit') throw new Error(`manifest not served from the cache: ${cached.headers.get('x-cache')}`);
await cached.arrayBuffer();
const bodiesDir = mkdtempSync(join(tmpdir(), 'modelregistry-bench-vr-'));
writeFileSync(join(bodiesDir, 'bodies.json'), JSON.stringify({ manifest }));
const bareManifests = await startBare(join(bodiesDir, 'bodies.json'));
const bareUrl = `${bareManifests.url}/manifest`;

type Cannon = { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number };
async function load(url: string, seconds: number) {
  const args = ['node_modules/autocannon/autocannon.js', '-j', '-c', String(CONNECTIONS), '-d', String(seconds), '-H', `authorization=Bearer ${bench.token}`, '-H', `accept=${MANIFEST}`, url];
  const { stdout } = await run(process.execPath, args, { maxBuffer: 16 << 20 });
  const r = JSON.parse(stdout) as Cannon;
  if (r.non2xx || r.errors) throw new Error(`${url}: ${r.non2xx} non-2xx, ${r.errors} errors`);
  return { per_second: Math.round(r.requests.average), p50_ms: r.latency.p50, p99_ms: r.latency.p99, requests: r.requests.total };
}
await load(manifestUrl, 2); // warm-up: JIT, the pool's connections, the token's verification path
await load(bareUrl, 2);
const manifestCpu = cpuMsOf(apiPid);
const manifests = await phase('manifests', () => load(manifestUrl, manifestSeconds));
const manifestCpuMs = cpuMsOf(apiPid) - manifestCpu;
const bareRoute = await load(bareUrl, manifestSeconds);
bareManifests.child.kill('SIGTERM');
rmSync(bodiesDir, { recursive: true, force: true });
const loadAfter = loadavg()[0]!;

/** Medians of the runs. The API's CPU is its process's over the read: near 0 when the API serves nothing (direct, disk). */
const summary = (runs: Run[]) => ({
  median_mb_per_s: median(runs.map((r) => r.mbPerS)),
  runs_mb_per_s: runs.map((r) => r.mbPerS),
  reader_cpu_ms_per_100mb: median(runs.map((r) => r.readerCpuMsPer100MB)),
  api_cpu_ms_per_100mb: median(runs.map((r) => r.apiCpuMsPer100MB)),
  ...(runs[0]!.apiCpuMsPer100MBWithCommit === undefined ? {} : { api_cpu_ms_per_100mb_with_commit: median(runs.map((r) => r.apiCpuMsPer100MBWithCommit!)) }),
});
const ratio = (a: Run[], b: Run[]) => round(median(a.map((r) => r.mbPerS)) / median(b.map((r) => r.mbPerS)), 2);
const results = {
  benchmark: `virtual registry pull path: a ${blobMiB} MiB blob (miss vs the upstream directly, a bare relay and a bare verified relay, hit vs the cached file on disk and vs a bare file route; sha256 of every byte read, in a reader process of its own, ${REPETITIONS} rounds rotating which goes first, medians), manifests by tag from the cache vs a bare Hono route (autocannon, ${CONNECTIONS} connections, ${manifestSeconds} s); api/server.ts, the reader, autocannon and the bare route each in a process of its own`,
  blob_mib: blobMiB,
  miss: summary(missRuns.miss),
  upstream_direct: summary(missRuns.direct),
  ratio_miss_to_direct: ratio(missRuns.miss, missRuns.direct),
  // What any Node process in the middle costs on this machine: the relay's own ratio to the upstream read directly.
  bare_relay: summary(missRuns.relay),
  ratio_bare_relay_to_direct: ratio(missRuns.relay, missRuns.direct),
  ratio_miss_to_bare_relay: ratio(missRuns.miss, missRuns.relay),
  // The least a miss must do (relay, sha256, write to a file) in one plain loop: what the pull path adds beyond its work.
  bare_verified_relay: summary(missRuns.verifiedRelay),
  ratio_miss_to_bare_verified_relay: ratio(missRuns.miss, missRuns.verifiedRelay),
  hit: summary(hitRuns.hit),
  disk: summary(hitRuns.disk),
  ratio_hit_to_disk: ratio(hitRuns.hit, hitRuns.disk),
  bare_file_route: summary(hitRuns.bare),
  ratio_bare_file_route_to_disk: ratio(hitRuns.bare, hitRuns.disk),
  ratio_hit_to_bare_file_route: ratio(hitRuns.hit, hitRuns.bare),
  manifests_from_cache: { ...manifests, api_cpu_ms_per_request: round(manifestCpuMs / manifests.requests, 3) },
  bare_hono_route: bareRoute,
  ratio_manifests_to_bare: round(manifests.per_second / bareRoute.per_second, 2),
  goals: { ratio_miss_to_direct: 0.9, ratio_hit_to_disk: 0.8 },
  load_average_1m: { before: round(loadBefore, 2), after: round(loadAfter, 2) },
  phases_monotonic_us: phases,
};
console.table({
  'miss / upstream direct (MB/s)': { figure: results.miss.median_mb_per_s, baseline: results.upstream_direct.median_mb_per_s, ratio: results.ratio_miss_to_direct, goal: '≥ 0.9' },
  'bare relay / upstream direct (MB/s)': { figure: results.bare_relay.median_mb_per_s, baseline: results.upstream_direct.median_mb_per_s, ratio: results.ratio_bare_relay_to_direct, goal: '' },
  'miss / bare relay (MB/s)': { figure: results.miss.median_mb_per_s, baseline: results.bare_relay.median_mb_per_s, ratio: results.ratio_miss_to_bare_relay, goal: '' },
  'miss / bare verified relay (MB/s)': { figure: results.miss.median_mb_per_s, baseline: results.bare_verified_relay.median_mb_per_s, ratio: results.ratio_miss_to_bare_verified_relay, goal: '' },
  'hit / disk (MB/s)': { figure: results.hit.median_mb_per_s, baseline: results.disk.median_mb_per_s, ratio: results.ratio_hit_to_disk, goal: '≥ 0.8' },
  'bare file route / disk (MB/s)': { figure: results.bare_file_route.median_mb_per_s, baseline: results.disk.median_mb_per_s, ratio: results.ratio_bare_file_route_to_disk, goal: '' },
  'hit / bare file route (MB/s)': { figure: results.hit.median_mb_per_s, baseline: results.bare_file_route.median_mb_per_s, ratio: results.ratio_hit_to_bare_file_route, goal: '' },
  'manifests / bare route (req/s)': { figure: manifests.per_second, baseline: bareRoute.per_second, ratio: results.ratio_manifests_to_bare, goal: '' },
});
bench.record('virtual-registry', results);
await upstream.stop();
await bench.stop();
