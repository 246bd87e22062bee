/**
 * Listing models with 10,000 in one project's catalogue (rows inserted directly): autocannon on
 * the first page, a deep cursor page, and a name-prefix query, over HTTP with a bearer token.
 *
 *   npx tsx bench/list-models.ts [models=10000] [seconds=10] [connections=8]
 */
import autocannon from 'autocannon';
import { eq } from 'drizzle-orm';
import { models, projects, repositories } from '../db/schema';
import { startBench } from './harness';

const count = Number(process.argv[2] ?? 10_000);
const seconds = Number(process.argv[3] ?? 10);
const connections = Number(process.argv[4] ?? 8);
const bench = await startBench({ worker: true });
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

const page = async (query: string) => {
  const res = await fetch(`${bench.base}/api/v1/projects/catalogue/models?${query}`, { headers: bench.headers });
  return (await res.json()) as { items: { name: string }[]; nextCursor: string | null };
};
// A cursor deep in the list: after 100 pages of 50.
let cursor: string | null = null;
for (let i = 0; i < 100; i++) cursor = (await page(`limit=50${cursor ? `&cursor=${cursor}` : ''}`)).nextCursor;

async function fire(query: string) {
  const result = await autocannon({ url: `${bench.base}/api/v1/projects/catalogue/models?${query}`, connections, duration: seconds, headers: bench.headers });
  return { per_second: Math.round(result.requests.average), p50_ms: result.latency.p50, p99_ms: result.latency.p99, non_2xx: result.non2xx };
}
await fire('limit=50'); // warm-up
const results = {
  first_page: await fire('limit=50'),
  page_after_5000: await fire(`limit=50&cursor=${cursor}`),
  name_prefix: await fire('limit=50&namePrefix=model-077'),
  label_filter_sorted_desc: await fire('limit=50&label=bench&sort=-name'),
};
bench.record('list-models', { benchmark: `GET /projects/{p}/models with ${count} models in the catalogue, ${connections} connections`, models: count, seconds, ...results, targets: { p99_ms: 50 } });
await bench.stop();
