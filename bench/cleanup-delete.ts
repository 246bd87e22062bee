/**
 * Harbor DELETE throughput, the base of the cleanup run's figure: N small model versions pushed
 * through the Harbor emulator (in a process of its own, over a real OCI registry), then deleted by
 * a plain loop of Harbor API calls, one at a time as a cleanup run deletes them — an artifact
 * with one tag by `DELETE …/artifacts/{digest}`, a tag of an artifact that keeps others by
 * `DELETE …/tags/{tag}`. Prints deletes/s and writes bench/results/cleanup-delete.json. The
 * cleanup run's own rate over the same kind of versions, and so the ratio, comes once the cleanup
 * run API exists (issue #15).
 *
 *   npm run bench:cleanup-delete -- [versions=1000]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { startOciRegistry } from '../test/servers/oci-registry';
import { createHarborAdminClient } from '../test/support/harbor-admin';
import { percentile, pushMany, startHarborProcess } from './harness';

const versions = Number(process.argv[2] ?? 1000);
const project = 'bench-cleanup';
/** One in ten versions carries a second tag: deleting that tag is an untag, the artifact stays. */
const EXTRA_TAG_EVERY = 10;
/** Ten versions per model, as a project's models keep a few dozen at most: the emulator reads a changed repository whole. */
const repositories = Math.max(1, Math.ceil(versions / 10));

const registry = await startOciRegistry();
const harbor = await startHarborProcess(registry.url);
try {
  const client = createHarborAdminClient({ baseUrl: harbor.url, username: harbor.username, password: harbor.password, timeoutMs: 30_000 });
  await client.projects.create({ project_name: project });

  const pushStart = performance.now();
  const pushed = await pushMany(harbor.url, project, versions, repositories, 4);
  const extraTags: { repository: string; digest: string; tag: string }[] = [];
  for (const [i, p] of pushed.entries()) {
    if (i % EXTRA_TAG_EVERY !== 0) continue;
    // The same manifest under another tag: a second tag of the artifact.
    const manifest = await fetch(`${harbor.url}/v2/${project}/${p.repository}/manifests/${p.tag}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    const put = await fetch(`${harbor.url}/v2/${project}/${p.repository}/manifests/${p.tag}-rc`, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
      body: Buffer.from(await manifest.arrayBuffer()),
    });
    if (put.status !== 201) throw new Error(`second tag of ${p.repository}:${p.tag}: ${put.status}`);
    extraTags.push({ repository: p.repository, digest: p.digest, tag: `${p.tag}-rc` });
  }
  const pushSeconds = (performance.now() - pushStart) / 1000;

  // The plain loop: untag the extra tags, then delete every artifact, one call at a time.
  const latencies: number[] = [];
  const timed = async (call: () => Promise<unknown>) => {
    const t = performance.now();
    await call();
    latencies.push(performance.now() - t);
  };
  const start = performance.now();
  for (const t of extraTags) await timed(() => client.tags.delete(project, t.repository, t.digest, t.tag));
  for (const p of pushed) await timed(() => client.artifacts.delete(project, p.repository, p.digest));
  const seconds = (performance.now() - start) / 1000;

  const remaining = (await Promise.all(Array.from({ length: repositories }, (_, i) => client.artifacts.list(project, `model-${i}`).then((l) => l.total, () => 0)))).reduce((a, b) => a + b, 0);
  if (remaining !== 0) throw new Error(`${remaining} artifacts left after the loop`);

  latencies.sort((a, b) => a - b);
  const deletes = latencies.length;
  const result = {
    versions,
    repositories,
    untags: extraTags.length,
    deletes,
    pushSeconds: Number(pushSeconds.toFixed(1)),
    baseline: {
      seconds: Number(seconds.toFixed(2)),
      deletesPerSecond: Number((deletes / seconds).toFixed(1)),
      p50Ms: Number(percentile(latencies, 50).toFixed(1)),
      p99Ms: Number(percentile(latencies, 99).toFixed(1)),
    },
    // The cleanup run's rate over the same versions and its ratio to the baseline: not on main yet.
    cleanupRun: null,
  };
  console.log(`pushed ${versions} versions (${extraTags.length} with a second tag) in ${result.pushSeconds} s`);
  console.log(`plain Harbor DELETE loop: ${deletes} calls (${extraTags.length} untags, ${versions} artifact deletes) in ${result.baseline.seconds} s = ${result.baseline.deletesPerSecond} deletes/s (p50 ${result.baseline.p50Ms} ms, p99 ${result.baseline.p99Ms} ms)`);
  mkdirSync('bench/results', { recursive: true });
  writeFileSync('bench/results/cleanup-delete.json', `${JSON.stringify(result, null, 2)}\n`);
} finally {
  await harbor.stop();
  await registry.stop();
}
