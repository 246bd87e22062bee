/**
 * Cleanup (issue #15), in one run against the whole stack (bench/harness.ts): the figures are
 * ratios to baselines taken in the same run, since the machine is shared and noisy.
 *
 * 1. Baseline: N versions (ten per repository, one in ten with a second tag) in a project of the
 *    Harbor emulator, deleted by a plain loop of Harbor API calls, one at a time as a cleanup run
 *    deletes them: the second tags by `DELETE …/tags/{tag}`, then every artifact by digest.
 * 2. The cleanup run: the same shape in an onboarded project, plus one newer release per model
 *    (the latest release, which no rule removes), catalogued through the webhooks; a policy
 *    `keep_newest 1` + `prereleases` selects everything else; `POST …/cleanup/runs {dryRun:false}`
 *    is polled until it ends. Its rate is measured from its own records: the audit rows it writes
 *    per removed version (first to last), and its row's start and end. Harbor must then hold
 *    exactly the newest release of each model, under its one tag.
 * 3. Candidates of a project of M versions (ten per repository, catalogued): sequential
 *    `GET …/cleanup/candidates?limit=50`, against the Harbor listing the report reads (every
 *    repository, every artifact with tags, labels and immutability, as `gatherCleanupArtifacts`
 *    pages them) issued by a plain client, the two interleaved. Its project is made by
 *    bench/cleanup-data.ts: the same artifacts pushed to the registry behind the emulator and one
 *    push delivery each sent to the receiver, so the report reads what real pushes leave (Harbor's
 *    listing, the catalogue's images, tags and manifests) without 10,000 pushes through the emulator
 *    (an hour at 2.7/s): the pushes take minutes, the imports as long as the worker needs (24 min
 *    at a load average of 10–20 in the recorded run).
 *
 *   npm run bench:cleanup -- [versions=1000] [candidateVersions=10000] [candidateRequests=50] [--only candidates]
 *
 * `--only candidates` skips parts 1 and 2 and writes `cleanup-candidates-<M>.json`; otherwise the
 * results go to `cleanup.json`, once the run part is done and again at the end.
 */
import { createHarborAdminClient } from '../test/support/harbor-admin';
import { deliverPushes, pushBehindHarbor } from './cleanup-data';
import { percentile, pushMany, startBench } from './harness';

const args = process.argv.slice(2);
const only = args.indexOf('--only');
if (only >= 0 && args[only + 1] !== 'candidates') throw new Error('--only takes "candidates"');
const candidatesOnly = only >= 0;
if (candidatesOnly) args.splice(only, 2);
const versions = Number(args[0] ?? 1000);
const candidateVersions = Number(args[1] ?? 10_000);
const candidateRequests = Number(args[2] ?? 50);
/** One in ten versions carries a second tag (`<tag>-rc`, a pre-release): removing it is an untag, the artifact stays. */
const EXTRA_TAG_EVERY = 10;
/** Ten versions per model, as a project's models keep a few dozen at most: the emulator reads a changed repository whole. */
const PER_REPOSITORY = 10;
const ACTIVE = new Set(['preparing', 'awaiting_approval', 'running']);
/** Everything but the newest release of each model, and every superseded pre-release. */
const POLICY_RULES = [
  { kind: 'keep_newest', count: 1, per: 'model' },
  { kind: 'prereleases', olderThanDays: 0 },
];

const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stats = (ms: number[]) => {
  const sorted = [...ms].sort((a, b) => a - b);
  return { p50Ms: round(percentile(sorted, 50)), p99Ms: round(percentile(sorted, 99)), maxMs: round(sorted.at(-1)!) };
};

const bench = await startBench({ worker: true, webhooksToApi: true });
const client = createHarborAdminClient({ baseUrl: bench.harbor.url, username: bench.harbor.username, password: bench.harbor.password, timeoutMs: 30_000 });

/** `count` versions over `repositories` repositories, one in `extraEvery` given a second tag `<tag>-rc` (the same manifest). */
async function pushVersions(project: string, count: number, repositories: number, extraEvery: number) {
  const started = performance.now();
  const pushed = await pushMany(bench.harbor.url, project, count, repositories, 8);
  const extraTags: { repository: string; digest: string; tag: string }[] = [];
  for (const [i, p] of pushed.entries()) {
    if (i % extraEvery !== 0) continue;
    const manifest = await fetch(`${bench.harbor.url}/v2/${project}/${p.repository}/manifests/${p.tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const put = await fetch(`${bench.harbor.url}/v2/${project}/${p.repository}/manifests/${p.tag}-rc`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: Buffer.from(await manifest.arrayBuffer()),
    });
    if (put.status !== 201) throw new Error(`second tag of ${p.repository}:${p.tag}: ${put.status}`);
    extraTags.push({ repository: p.repository, digest: p.digest, tag: `${p.tag}-rc` });
  }
  return { pushed, extraTags, seconds: round((performance.now() - started) / 1000) };
}

/** Waits until the catalogue holds the project's images and tags (from the push webhooks); throws when it stops moving for a minute. */
async function catalogued(project: string, images: number, tags: number) {
  let last = '';
  let moved = Date.now();
  for (;;) {
    const [row] = await bench.database.sql<{ images: number; tags: number }[]>`
      select count(distinct i.id)::int as images, count(t.id)::int as tags
      from modelregistry.images i join modelregistry.repositories r on r.id = i.repository_id
      left join modelregistry.tags t on t.image_id = i.id and not t.is_archived
      where r.namespace = ${project} and not i.is_archived`;
    if (row!.images === images && row!.tags === tags) return;
    const now = `${row!.images}/${row!.tags}`;
    if (now !== last) [last, moved] = [now, Date.now()];
    if (Date.now() - moved > 60_000) throw new Error(`the catalogue holds ${now} images/tags of ${project}, not ${images}/${tags}`);
    await sleep(1000);
  }
}

/** An API answer, following a 202's operation until it completes; the final status and body. */
async function answer(res: Response): Promise<{ status: number; body: Record<string, unknown>; viaOperation: boolean }> {
  if (res.status !== 202 || !res.headers.get('location')?.includes('/operations/')) return { status: res.status, body: (await res.json()) as Record<string, unknown>, viaOperation: false };
  const location = res.headers.get('location')!;
  for (;;) {
    const op = (await (await bench.call('GET', location)).json()) as { status: string; result?: Record<string, unknown> };
    if (op.status === 'completed') return { status: 200, body: op.result!, viaOperation: true };
    if (op.status !== 'running') throw new Error(`operation ${location}: ${JSON.stringify(op)}`);
    await sleep(100);
  }
}

async function putPolicy(project: string, policy: Record<string, unknown>) {
  const res = await answer(await bench.call('PUT', `/api/v1/projects/${project}/cleanup/policy`, policy));
  if (res.status !== 200) throw new Error(`cleanup policy of ${project}: ${res.status} ${JSON.stringify(res.body)}`);
}

async function candidateTotals(project: string) {
  const res = await answer(await bench.call('GET', `/api/v1/projects/${project}/cleanup/candidates?limit=50`));
  if (res.status !== 200) throw new Error(`candidates of ${project}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.totals as { candidates: number; protected: number; kept: number };
}

/** Parts 1 and 2: the plain loop's rate and the cleanup run's. */
async function runPart() {
  // 1. Baseline: the plain loop, on a project of Harbor's own (no webhooks, no service).
  const baselineProject = 'bench-cleanup';
  const repositories = Math.max(1, Math.ceil(versions / PER_REPOSITORY));
  await client.projects.create({ project_name: baselineProject });
  const base = await pushVersions(baselineProject, versions, repositories, EXTRA_TAG_EVERY);
  const latencies: number[] = [];
  const timed = async (call: () => Promise<unknown>) => {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  };
  const loopStarted = performance.now();
  for (const t of base.extraTags) await timed(() => client.tags.delete(baselineProject, t.repository, t.digest, t.tag));
  for (const p of base.pushed) await timed(() => client.artifacts.delete(baselineProject, p.repository, p.digest));
  const loopSeconds = (performance.now() - loopStarted) / 1000;
  const remaining = (await Promise.all(Array.from({ length: repositories }, (_, i) => client.artifacts.list(baselineProject, `model-${i}`).then((l) => l.total, () => 0)))).reduce((a, b) => a + b, 0);
  if (remaining !== 0) throw new Error(`${remaining} artifacts left after the loop`);
  latencies.sort((a, b) => a - b);
  const baseline = {
    versions,
    repositories,
    untags: base.extraTags.length,
    deletes: latencies.length,
    pushSeconds: base.seconds,
    seconds: round(loopSeconds, 2),
    deletesPerSecond: round(latencies.length / loopSeconds),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
  console.log(`baseline: pushed ${versions} versions (${base.extraTags.length} with a second tag) in ${base.seconds} s`);
  console.log(`plain Harbor DELETE loop: ${baseline.deletes} calls (${baseline.untags} untags, ${versions} artifact deletes) in ${baseline.seconds} s = ${baseline.deletesPerSecond} deletes/s (p50 ${baseline.p50Ms} ms, p99 ${baseline.p99Ms} ms)`);

  // 2. The cleanup run: the same shape plus the newest release of each model, which stays.
  const runProject = 'bench-cleanup-run';
  await bench.project(runProject);
  const runShape = await pushVersions(runProject, versions + repositories, repositories, EXTRA_TAG_EVERY);
  await catalogued(runProject, runShape.pushed.length, runShape.pushed.length + runShape.extraTags.length);
  const newest = `1.0.${PER_REPOSITORY}`;
  const kept = new Map(runShape.pushed.filter((p) => p.tag === newest).map((p) => [p.repository, p.digest]));
  const expected = runShape.pushed.length + runShape.extraTags.length - kept.size;
  await putPolicy(runProject, { mode: 'automatic', rules: POLICY_RULES, maxDeletionsPerRun: 10_000 });
  const before = await candidateTotals(runProject);
  if (before.candidates !== expected) throw new Error(`the policy selects ${before.candidates} versions, not ${expected}`);

  const started = await bench.call('POST', `/api/v1/projects/${runProject}/cleanup/runs`, { dryRun: false });
  if (started.status !== 202) throw new Error(`cleanup run: ${started.status} ${await started.text()}`);
  const { id: runId } = (await started.json()) as { id: string };
  type Run = { status: string; total: number; done: number; startedAt: string; endedAt: string | null; summary: { removed: { action: string }[]; failures: unknown[] } | null };
  let run: Run;
  for (;;) {
    run = (await (await bench.call('GET', `/api/v1/projects/${runProject}/cleanup/runs/${runId}`)).json()) as Run;
    if (!ACTIVE.has(run.status)) break;
    await sleep(1000);
  }
  if (run.status !== 'succeeded' || run.summary?.failures.length !== 0 || run.summary.removed.length !== expected) {
    throw new Error(`cleanup run ${runId}: ${run.status}, removed ${run.summary?.removed.length}, failures ${JSON.stringify(run.summary?.failures.slice(0, 3))}`);
  }
  // A measured run must have done its job: Harbor holds exactly each model's newest release, under that one tag.
  for (let i = 0; i < repositories; i++) {
    const left = await client.artifacts.list(runProject, `model-${i}`, { withTag: true });
    const tags = left.items.flatMap((a) => (a.tags ?? []).map((t) => t.name));
    if (left.total !== 1 || left.items[0]!.digest !== kept.get(`model-${i}`) || tags.join() !== newest) {
      throw new Error(`model-${i} holds ${left.total} artifacts (${tags.join(', ')}) after the run, not ${newest} alone`);
    }
  }
  const [removals] = await bench.database.sql<{ count: number; seconds: number }[]>`
    select count(*)::int as count, extract(epoch from max(occurred_at) - min(occurred_at))::float8 as seconds
    from modelregistry.audit_events where action = 'cleanup.version_removed' and details->>'runId' = ${runId}`;
  if (removals!.count !== expected) throw new Error(`${removals!.count} audit rows for ${expected} removals`);
  const untags = run.summary.removed.filter((r) => r.action === 'untag').length;
  const deletingSeconds = removals!.seconds;
  const wholeSeconds = (Date.parse(run.endedAt!) - Date.parse(run.startedAt)) / 1000;
  const cleanupRun = {
    versions: runShape.pushed.length,
    secondTags: runShape.extraTags.length,
    kept: kept.size,
    removed: expected,
    untags,
    deletes: expected - untags,
    pushSeconds: runShape.seconds,
    deletingSeconds: round(deletingSeconds, 2),
    deletesPerSecond: round((expected - 1) / deletingSeconds),
    wholeRunSeconds: round(wholeSeconds, 2),
    wholeRunDeletesPerSecond: round(expected / wholeSeconds),
  };
  const deleteRatio = round(cleanupRun.deletesPerSecond / baseline.deletesPerSecond, 2);
  console.log(`cleanup run: ${expected} versions removed (${untags} untags, ${expected - untags} artifact deletes), ${kept.size} newest releases kept`);
  console.log(`  first to last removal ${cleanupRun.deletingSeconds} s = ${cleanupRun.deletesPerSecond} deletes/s = ${deleteRatio}× the plain loop (${baseline.deletesPerSecond}/s); start to end of the run ${cleanupRun.wholeRunSeconds} s = ${cleanupRun.wholeRunDeletesPerSecond}/s`);
  return { baseline, cleanupRun, deleteRatio };
}

/** Part 3: the candidates report of a project of `candidateVersions` versions against the listing it reads. */
async function candidatesPart() {
  const reportProject = 'bench-candidates';
  const reportRepositories = Math.max(1, Math.ceil(candidateVersions / PER_REPOSITORY));
  await bench.project(reportProject);
  let started = performance.now();
  const pushed = await pushBehindHarbor(bench, reportProject, candidateVersions, reportRepositories);
  const pushSeconds = round((performance.now() - started) / 1000);
  console.log(`candidates: pushed ${candidateVersions} versions in ${reportRepositories} repositories behind the emulator in ${pushSeconds} s`);
  started = performance.now();
  await deliverPushes(bench, reportProject, pushed);
  await catalogued(reportProject, candidateVersions, candidateVersions);
  const catalogueSeconds = round((performance.now() - started) / 1000);
  console.log(`candidates: catalogued through ${candidateVersions} push deliveries in ${catalogueSeconds} s`);
  await putPolicy(reportProject, { mode: 'report', rules: POLICY_RULES });
  const listing = async () => {
    const repos = await client.all((page, pageSize) => client.repositories.list(reportProject, { page, pageSize }));
    let artifacts = 0;
    for (const repo of repos) {
      const model = repo.name!.slice(reportProject.length + 1);
      artifacts += (await client.all((page, pageSize) => client.artifacts.list(reportProject, model, { page, pageSize, withTag: true, withLabel: true, withImmutableStatus: true }))).length;
    }
    return artifacts;
  };
  const requestMs: number[] = [];
  const listingMs: number[] = [];
  let viaOperation = 0;
  let totals: { candidates: number; protected: number; kept: number } | undefined;
  for (let i = 0; i < candidateRequests; i++) {
    let t = performance.now();
    const res = await answer(await bench.call('GET', `/api/v1/projects/${reportProject}/cleanup/candidates?limit=50`));
    requestMs.push(performance.now() - t);
    if (res.status !== 200 || (res.body.items as unknown[]).length !== Math.min(50, candidateVersions - reportRepositories)) throw new Error(`candidates: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
    if (res.viaOperation) viaOperation++;
    totals = res.body.totals as typeof totals;
    t = performance.now();
    const artifacts = await listing();
    listingMs.push(performance.now() - t);
    if (artifacts !== candidateVersions) throw new Error(`the listing found ${artifacts} artifacts, not ${candidateVersions}`);
  }
  if (totals!.candidates !== candidateVersions - reportRepositories) throw new Error(`${totals!.candidates} candidates, not ${candidateVersions - reportRepositories}`);
  const candidates = {
    versions: candidateVersions,
    repositories: reportRepositories,
    pushSeconds,
    catalogueSeconds,
    requests: candidateRequests,
    answeredViaOperation: viaOperation,
    totals,
    request: stats(requestMs),
    harborListing: stats(listingMs),
    p50Ratio: round(percentile([...requestMs].sort((a, b) => a - b), 50) / percentile([...listingMs].sort((a, b) => a - b), 50), 2),
    p99Ratio: round(percentile([...requestMs].sort((a, b) => a - b), 99) / percentile([...listingMs].sort((a, b) => a - b), 99), 2),
  };
  console.log(`candidates of ${candidateVersions} versions (${reportRepositories} repositories), ${candidateRequests} sequential GET …/candidates?limit=50 (${viaOperation} answered through an operation):`);
  console.log(`  p50 ${candidates.request.p50Ms} ms, p99 ${candidates.request.p99Ms} ms, max ${candidates.request.maxMs} ms; the Harbor listing it reads: p50 ${candidates.harborListing.p50Ms} ms, p99 ${candidates.harborListing.p99Ms} ms; ratio p50 ${candidates.p50Ratio}×, p99 ${candidates.p99Ratio}×`);
  return candidates;
}

try {
  if (candidatesOnly) bench.record(`cleanup-candidates-${candidateVersions}`, { candidates: await candidatesPart() });
  else {
    const run = await runPart();
    // Written now too, so a failure in the long part that follows keeps these figures.
    bench.record('cleanup', { ...run, candidates: null });
    bench.record('cleanup', { ...run, candidates: await candidatesPart() });
  }
} finally {
  await bench.stop();
}
