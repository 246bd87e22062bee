/**
 * Full refresh of a project whose 1,000 artifacts (real pushes to the emulator's OCI registry,
 * webhooks going nowhere) the catalogue has never seen: POST /projects/{name}/refresh runs the
 * refresh workflow, which lists Harbor's repositories and artifacts and imports each.
 *
 *   npx tsx bench/refresh.ts [artifacts=1000] [repositories=10]
 */
import { pushMany, startBench } from './harness';

const count = Number(process.argv[2] ?? 1000);
const repositoryCount = Number(process.argv[3] ?? 10);
const bench = await startBench({ worker: true });
await bench.project('refresh');
const t0 = performance.now();
await pushMany(bench.harbor.url, 'refresh', count, repositoryCount);
const pushSeconds = (performance.now() - t0) / 1000;

const started = performance.now();
const res = await bench.call('POST', '/api/v1/projects/refresh/refresh');
const seconds = (performance.now() - started) / 1000;
const body = (await res.json()) as { repositories?: { added: number }[] };
const [catalogued] = await bench.database.sql`select count(*)::int as images from modelregistry.images i join modelregistry.repositories r on r.id = i.repository_id where r.namespace = 'refresh' and not i.is_archived`;
bench.record('refresh', {
  benchmark: `full refresh of ${count} artifacts in ${repositoryCount} repositories into an empty catalogue (one worker)`,
  status: res.status,
  seconds: Number(seconds.toFixed(2)),
  added: body.repositories?.reduce((n, r) => n + r.added, 0) ?? null,
  images_in_catalogue: catalogued!.images,
  push_seconds: Number(pushSeconds.toFixed(1)),
  targets: { seconds: 10 },
});
await bench.stop();
