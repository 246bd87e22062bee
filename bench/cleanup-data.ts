/**
 * The candidates benchmark's project of 10,000 versions, made faster than by real pushes through
 * the emulator (each emits a webhook the worker imports while the next pushes compete with it).
 * The measured request reads only Harbor's listing and the catalogue, and both end as real pushes
 * leave them (but for `push_time`, equal within a repository).
 *
 * - The versions are `pushModel`'s ModelPack artifacts (a config and two layers of their own each,
 *   as the run part pushes them), pushed to the OCI registry behind the emulator, so no webhook is
 *   emitted during the pushes. The emulator reads a repository from that registry as it does after
 *   a push through it; listing each repository once stamps its artifacts' `push_time` (equal within
 *   a repository; the policy orders releases by semver).
 * - The catalogue is then made by the receiver's own path: one `PUSH_ARTIFACT` delivery per version,
 *   signed with the project's secret as Harbor's would be, a few in flight. The worker imports them
 *   as it imports pushes (images, tags, manifests, metadata, audit rows). A project refresh would be
 *   one request and reads the manifests too, but at most 10 s of reads per repository each time
 *   (activities/catalogue/catalogue-import.ts): 10,000 versions would take several refreshes
 *   before no figure of the report is an estimate.
 */
import { eq } from 'drizzle-orm';
import { projects } from '../db/schema';
import { REGISTRY, pushMany, type startBench } from './harness';

type Bench = Awaited<ReturnType<typeof startBench>>;
type Pushed = Awaited<ReturnType<typeof pushMany>>;

/** Pushes to the registry behind the emulator, then lists each repository once through Harbor's API. */
export async function pushBehindHarbor(bench: Bench, project: string, count: number, repositories: number): Promise<Pushed> {
  const pushed = await pushMany(bench.registryUrl, project, count, repositories, 16);
  const authorization = `Basic ${Buffer.from(`${bench.harbor.username}:${bench.harbor.password}`).toString('base64')}`;
  for (let i = 0; i < repositories; i++) {
    const res = await fetch(`${bench.harbor.url}/api/v2.0/projects/${project}/repositories/model-${i}/artifacts?page_size=1`, { headers: { authorization } });
    if (!res.ok) throw new Error(`listing model-${i}: ${res.status}`);
    await res.body?.cancel();
  }
  return pushed;
}

/** One `PUSH_ARTIFACT` delivery per pushed version to the receiver, `concurrency` in flight. */
export async function deliverPushes(bench: Bench, project: string, pushed: Pushed, concurrency = 4): Promise<void> {
  const [row] = await bench.database.db.select({ secret: projects.webhookSecret }).from(projects).where(eq(projects.name, project));
  const authorization = `Bearer ${bench.secrets.open(row!.secret!)}`;
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < pushed.length) {
        const i = next++;
        const p = pushed[i]!;
        const body = {
          type: 'PUSH_ARTIFACT',
          occur_at: Math.floor(Date.now() / 1000),
          operator: 'bench',
          event_data: {
            resources: [{ digest: p.digest, tag: p.tag, resource_url: `${REGISTRY}/${project}/${p.repository}:${p.tag}` }],
            repository: { name: p.repository, namespace: project, repo_full_name: `${project}/${p.repository}`, repo_type: 'private' },
          },
        };
        const res = await fetch(`${bench.base}/api/v1/webhooks/harbor`, { method: 'POST', headers: { 'content-type': 'application/json', authorization }, body: JSON.stringify(body) });
        if (res.status !== 200) throw new Error(`delivery ${i}: ${res.status} ${await res.text()}`);
        await res.body?.cancel();
      }
    }),
  );
}
