/**
 * Full refresh against its baseline, in one run (issue #18). A project's `artifacts` (1,000) real
 * pushes of ModelPack artifacts over `repositories` (10) repositories (webhooks going nowhere), none
 * of them in the catalogue; then `POST /api/v1/projects/{name}/refresh` to api/server.ts (a process of
 * its own, as deployed) runs the refresh workflow on one worker process: it lists Harbor's
 * repositories and their artifacts (pages of 100, with tags, scan overviews and accessories), then
 * per repository converges the catalogue's rows (repositories, models, images, tags) and reads the
 * manifest and config of each version without a stored manifest (8 in flight) to store its manifest
 * and metadata rows (activities/catalogue/*). Timed until it answers, or its operation completes.
 *
 * The baseline: a plain client in this process lists the same repositories and artifacts (same
 * pages and query), reads the same manifests and configs (8 in flight), and inserts the same rows —
 * repositories, models, images, tags, manifests, metadata — by plain multi-row INSERTs in one
 * transaction into scratch copies of the tables (schema `bench_baseline`: `LIKE … INCLUDING ALL`, and
 * the foreign keys re-created, to the copies or to the real projects and lookup tables). It leaves out
 * what a refresh does besides: the Harbor summary read and row update, the one CloudEvent, and the
 * convergence reads (which rows exist, which to archive). The pushed artifacts have no scan reports or
 * signatures (checked), so neither side writes those rows. It runs before the refresh and again after
 * (the figure is their mean, so the machine's drift weighs on both sides), each after a listing of
 * every repository warmed the emulator's copies. The refresh must catalogue every artifact with its
 * manifest, and both sides must have written the same number of rows per table (else the script
 * throws).
 *
 *   npx tsx bench/refresh.ts [artifacts=1000] [repositories=10]
 */
import { randomUUID } from 'node:crypto';
import { loadavg } from 'node:os';
import type { TransactionSql } from 'postgres';
import { metadataRows } from '../activities/db/model-metadata';
import { extractModelMetadata, type OciManifest } from '../lib/model-metadata';
import { pushMany, REGISTRY, startBench } from './harness';

const count = Number(process.argv[2] ?? 1000);
const repositoryCount = Number(process.argv[3] ?? 10);
const PROJECT = 'refresh';
const SCRATCH = 'bench_baseline';
/** The refresh's page size (Harbor's maximum) and manifest reads in flight (activities/catalogue/catalogue-import.ts). */
const PAGE_SIZE = 100;
const READ_CONCURRENCY = 8;
const TABLES = ['repositories', 'models', 'images', 'tags', 'manifests', 'metadata'] as const;
const round = (n: number, digits = 2) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const bench = await startBench({ worker: true, apiProcess: true });
const { sql } = bench.database;
await bench.project(PROJECT);
const [project] = await sql<{ id: string }[]>`select id from modelregistry.projects where name = ${PROJECT} and not is_archived`;
const projectId = project!.id;
const pushStarted = performance.now();
await pushMany(bench.harbor.url, PROJECT, count, repositoryCount);
const pushSeconds = (performance.now() - pushStarted) / 1000;

// The scratch copies, with the real tables' foreign keys pointing at the copies where there is one.
await sql.unsafe(`create schema ${SCRATCH}`);
for (const table of TABLES) await sql.unsafe(`create table ${SCRATCH}.${table} (like modelregistry.${table} including all)`);
const foreignKeys = await sql<{ table: string; name: string; definition: string }[]>`
  select c.relname as table, k.conname as name, pg_get_constraintdef(k.oid) as definition
  from pg_constraint k join pg_class c on c.oid = k.conrelid join pg_namespace n on n.oid = c.relnamespace
  where k.contype = 'f' and n.nspname = 'modelregistry' and c.relname in ${sql([...TABLES])}`;
for (const fk of foreignKeys) {
  const definition = fk.definition.replace(/modelregistry\.(\w+)\(/g, (whole, table: string) => ((TABLES as readonly string[]).includes(table) ? `${SCRATCH}.${table}(` : whole));
  await sql.unsafe(`alter table ${SCRATCH}.${fk.table} add constraint "${fk.name}" ${definition}`);
}

const harborAuth = `Basic ${Buffer.from(`${bench.harbor.username}:${bench.harbor.password}`).toString('base64')}`;
async function harborJson<T>(path: string, accept?: string): Promise<{ body: T; total: number }> {
  const res = await fetch(`${bench.harbor.url}${path}`, { headers: { authorization: harborAuth, ...(accept ? { accept } : {}) } });
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
  // Without Harbor's count, a full page means there may be another (as the activities' client pages).
  return { body: (await res.json()) as T, total: res.headers.has('x-total-count') ? Number(res.headers.get('x-total-count')) : Infinity };
}
/** Every page of a Harbor list, as the activities' client pages it. */
async function everyPage<T>(path: string, query = ''): Promise<T[]> {
  const items: T[] = [];
  for (let page = 1; ; page++) {
    const { body, total } = await harborJson<T[]>(`/api/v2.0${path}?page=${page}&page_size=${PAGE_SIZE}${query}`);
    items.push(...body);
    if (body.length < PAGE_SIZE || items.length >= total) return items;
  }
}

interface Artifact {
  id: number;
  digest: string;
  tags?: { id: number; name: string }[] | null;
  pull_time?: string;
  scan_overview?: Record<string, unknown>;
  accessories?: unknown[] | null;
}
/** Harbor's listing as the refresh reads it: every repository, then each one's artifacts. */
async function listing() {
  const repositories = await everyPage<{ id: number; name: string; description?: string }>(`/projects/${PROJECT}/repositories`);
  const listed = [];
  for (const repository of repositories) {
    const short = repository.name.slice(PROJECT.length + 1);
    const artifacts = await everyPage<Artifact>(
      `/projects/${PROJECT}/repositories/${encodeURIComponent(encodeURIComponent(short))}/artifacts`,
      '&with_tag=true&with_label=false&with_scan_overview=true&with_accessory=true&with_immutable_status=false',
    );
    listed.push({ repository, short, artifacts });
  }
  return listed;
}

/** Inserts rows in statements of at most 65,535 parameters, as one multi-row INSERT would if it could. */
async function insertAll(tx: TransactionSql, table: string, rows: object[]) {
  if (rows.length === 0) return;
  const perStatement = Math.floor(65_535 / Object.keys(rows[0]!).length);
  for (let i = 0; i < rows.length; i += perStatement) await tx`insert into ${sql(`${SCRATCH}.${table}`)} ${sql(rows.slice(i, i + perStatement))}`;
}

/** The baseline: the listing, the manifest and config reads, the rows in one transaction; its seconds. */
async function plainRefresh(): Promise<number> {
  await sql.unsafe(`truncate ${TABLES.map((t) => `${SCRATCH}.${t}`).join(', ')}`);
  const started = performance.now();
  const listed = await listing();
  const rows: Record<(typeof TABLES)[number], object[]> = { repositories: [], models: [], images: [], tags: [], manifests: [], metadata: [] };
  const reads: { repository: string; imageId: string; modelId: string; artifact: Artifact }[] = [];
  for (const { repository, short, artifacts } of listed) {
    const repositoryId = randomUUID();
    const modelId = randomUUID();
    rows.repositories.push({ id: repositoryId, name: short, namespace: PROJECT, full_name: repository.name, harbor_id: repository.id, project_id: projectId, harbor_address: REGISTRY });
    rows.models.push({ id: modelId, name: short, description: repository.description || null, project_id: projectId, repository_id: repositoryId });
    for (const artifact of artifacts) {
      if (Object.keys(artifact.scan_overview ?? {}).length > 0 || (artifact.accessories ?? []).length > 0) throw new Error(`${repository.name}@${artifact.digest} has scans or accessories: the baseline writes no such rows`);
      const imageId = randomUUID();
      rows.images.push({ id: imageId, digest: artifact.digest, harbor_id: artifact.id, model_id: modelId, repository_id: repositoryId });
      for (const tag of artifact.tags ?? []) rows.tags.push({ id: randomUUID(), name: tag.name, harbor_id: tag.id, image_id: imageId });
      reads.push({ repository: repository.name, imageId, modelId, artifact });
    }
  }
  let next = 0;
  await Promise.all(
    Array.from({ length: READ_CONCURRENCY }, async () => {
      while (next < reads.length) {
        const { repository, imageId, modelId, artifact } = reads[next++]!;
        const at = new Date().toISOString();
        const { body: manifest } = await harborJson<OciManifest>(`/v2/${repository}/manifests/${artifact.digest}`, 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json');
        const config = manifest.config && manifest.config.size <= 1024 * 1024 && manifest.config.mediaType.endsWith('json') ? (await harborJson<unknown>(`/v2/${repository}/blobs/${manifest.config.digest}`)).body : null;
        const pulledBefore = artifact.pull_time && !artifact.pull_time.startsWith('0001-') ? new Date(artifact.pull_time).toISOString() : null;
        rows.manifests.push({ id: randomUUID(), image_id: imageId, tag: artifact.tags?.[0]?.name ?? '', content: JSON.stringify(manifest), read_at: at, pulled_before: pulledBefore });
        rows.metadata.push(...metadataRows(extractModelMetadata(manifest, config), { modelId, imageId }));
      }
    }),
  );
  await sql.begin(async (tx) => {
    for (const table of TABLES) await insertAll(tx, table, rows[table]);
  });
  return (performance.now() - started) / 1000;
}

/** Live rows per table of the project, in the catalogue or in the scratch copies. */
async function rowCounts(schema: string) {
  const [row] = await sql.unsafe<Record<(typeof TABLES)[number], number>[]>(
    `select
       (select count(*)::int from ${schema}.repositories r where r.project_id = $1 and not r.is_archived) as repositories,
       (select count(*)::int from ${schema}.models m where m.project_id = $1 and not m.is_archived) as models,
       (select count(*)::int from ${schema}.images i join ${schema}.repositories r on r.id = i.repository_id where r.project_id = $1 and not i.is_archived) as images,
       (select count(*)::int from ${schema}.tags t join ${schema}.images i on i.id = t.image_id join ${schema}.repositories r on r.id = i.repository_id where r.project_id = $1 and not t.is_archived) as tags,
       (select count(*)::int from ${schema}.manifests f join ${schema}.images i on i.id = f.image_id join ${schema}.repositories r on r.id = i.repository_id where r.project_id = $1 and not f.is_archived) as manifests,
       (select count(*)::int from ${schema}.metadata d join ${schema}.models m on m.id = d.model_id where m.project_id = $1) as metadata`,
    [projectId],
  );
  return row!;
}

/** The refresh through the API process: its answer, or its 202's operation followed until it completes. */
async function refresh(): Promise<{ seconds: number; viaOperation: boolean; repositories: { added: number }[] }> {
  const started = performance.now();
  const res = await fetch(`${bench.api!.base}/api/v1/projects/${PROJECT}/refresh`, { method: 'POST', headers: bench.headers });
  if (res.status === 200) {
    const body = (await res.json()) as { repositories: { added: number }[] };
    return { seconds: (performance.now() - started) / 1000, viaOperation: false, repositories: body.repositories };
  }
  if (res.status !== 202) throw new Error(`refresh: ${res.status} ${await res.text()}`);
  await res.body?.cancel();
  for (;;) {
    await sleep(100);
    const op = (await (await fetch(`${bench.api!.base}${res.headers.get('location')!}`, { headers: bench.headers })).json()) as { status: string; result?: { repositories: { added: number }[] } };
    if (op.status === 'completed') return { seconds: (performance.now() - started) / 1000, viaOperation: true, repositories: op.result!.repositories };
    if (op.status !== 'running') throw new Error(`refresh: ${JSON.stringify(op)}`);
  }
}

// The emulator reads a changed repository from the registry once (Harbor has it in its database): not on either side's clock.
const warm = await listing();
const listedArtifacts = warm.reduce((n, r) => n + r.artifacts.length, 0);
if (listedArtifacts !== count) throw new Error(`Harbor lists ${listedArtifacts} artifacts, not ${count}`);

const loadBefore = loadavg()[0]!;
const baselineBefore = await plainRefresh();
const service = await refresh();
const baselineAfter = await plainRefresh();
const loadAfter = loadavg()[0]!;

const catalogued = await rowCounts('modelregistry');
const plain = await rowCounts(SCRATCH);
if (catalogued.images !== count || catalogued.manifests !== count) throw new Error(`the refresh catalogued ${catalogued.images} images and ${catalogued.manifests} manifests of ${count} artifacts`);
for (const table of TABLES) if (catalogued[table] !== plain[table]) throw new Error(`${table}: the refresh wrote ${catalogued[table]} rows, the baseline ${plain[table]}`);
await sql.unsafe(`drop schema ${SCRATCH} cascade`);

const baselineSeconds = (baselineBefore + baselineAfter) / 2;
bench.record('refresh', {
  benchmark: `full refresh of ${count} artifacts in ${repositoryCount} repositories into an empty catalogue: POST …/refresh to api/server.ts (own process; the workflow on the Temporal dev server, one worker process) against a plain client listing the same artifacts, reading the same manifests and inserting the same rows by multi-row INSERTs in one transaction (the mean of one run before and one after)`,
  ratio_seconds: round(service.seconds / baselineSeconds),
  refresh: { seconds: round(service.seconds), via_operation: service.viaOperation, added: service.repositories.reduce((n, r) => n + r.added, 0) },
  baseline: { seconds: round(baselineSeconds), before: round(baselineBefore), after: round(baselineAfter) },
  rows: catalogued,
  push_seconds: round(pushSeconds, 1),
  load_average: { before: loadBefore, after: loadAfter },
  targets: { issue_6_on_this_machine: { seconds: 10 } },
});
await bench.stop();
