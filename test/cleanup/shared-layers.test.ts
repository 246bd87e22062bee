import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBlob, putManifest } from '../harbor/oci-push';
import { jsonRequest, readJson, type Json } from '../support/http';
import { onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { catalogued, putPolicy } from './support';

const MiB = 1024 * 1024;

/**
 * Versions that enter the catalogue by a refresh (this stack receives no webhooks, so no push is
 * imported): the refresh reads their manifests, so the report sees the layers they share. A read
 * that fails leaves the version catalogued and the report saying its figures are estimates, until
 * a later refresh reads it.
 */
describe('cleanup: freed bytes of versions catalogued by a refresh', () => {
  let stack: TestStack;
  let tenant: string;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
  }, 120_000);
  afterAll(() => stack?.close());

  /** Pushes `model:tag` of a config, the `shared` layer and a small layer of its own; its bytes. */
  async function pushSharing(project: string, model: string, tag: string, shared: Buffer) {
    const base = stack.harbor.emulator.url;
    const repository = `${project}/${model}`;
    const config = await pushBlob(base, repository, Buffer.from(JSON.stringify({ descriptor: { name: model, version: tag } })), 'application/vnd.cncf.model.config.v1+json');
    const big = await pushBlob(base, repository, shared, 'application/vnd.cncf.model.weight.v1.raw', { 'org.cncf.model.filepath': 'base.safetensors' });
    const own = await pushBlob(base, repository, Buffer.from(`adapter of ${tag} `.repeat(100)), 'application/vnd.cncf.model.weight.v1.raw', { 'org.cncf.model.filepath': 'adapter.safetensors' });
    const manifest = { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.cncf.model.manifest.v1+json', config, layers: [big, own] };
    const { digest, size } = await putManifest(base, repository, tag, manifest);
    return { digest, shared: big.size, own: size + config.size + own.size };
  }

  const candidates = async (project: string): Promise<Json> => readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates`));
  const storedReads = async (project: string) =>
    (
      await stack.database.sql<{ digest: string; readAt: Date | null }[]>`
      select i.digest, mf.read_at as "readAt" from modelregistry.manifests mf join modelregistry.images i on i.id = mf.image_id
      join modelregistry.projects p on p.id = (select project_id from modelregistry.models where id = i.model_id) where p.name = ${project} and not mf.is_archived`
    ).map((r) => ({ digest: r.digest, read: r.readAt !== null }));

  it('a version sharing a large layer with the kept one frees only its own bytes; its size includes the shared layer', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('shared') });
    const shared = Buffer.alloc(2 * MiB, 7);
    const old = await pushSharing(project, 'llm', '1.0.0', shared);
    const kept = await pushSharing(project, 'llm', '2.0.0', shared);
    expect(await storedReads(project)).toEqual([]);

    await catalogued(stack, project, ['llm:1.0.0', 'llm:2.0.0']);
    // Read by the refresh, once per digest.
    expect((await storedReads(project)).sort((a, b) => a.digest.localeCompare(b.digest))).toEqual([old.digest, kept.digest].sort().map((digest) => ({ digest, read: true })));
    expect((await putPolicy(stack, project, { rules: [{ kind: 'keep_newest', count: 1, per: 'model' }] })).status).toBe(200);
    const report = await candidates(project);
    expect(report.items).toEqual([expect.objectContaining({ model: 'llm', tag: '1.0.0', digest: old.digest, action: 'delete', sizeBytes: old.own + old.shared, freesBytes: old.own, freesBytesEstimated: false })]);
    expect(report.totals).toMatchObject({ candidates: 1, sizeBytes: old.own + old.shared, freesBytes: old.own, freesBytesEstimated: false });
  });

  it('a registration of an existing Harbor project reads the manifests too', async () => {
    const name = uniqueName('adopted');
    await stack.harbor.client.projects.create({ project_name: name, metadata: { public: 'false' } });
    const shared = Buffer.alloc(2 * MiB, 8);
    const old = await pushSharing(name, 'llm', '1.0.0', shared);
    const kept = await pushSharing(name, 'llm', '2.0.0', shared);
    const registered = await stack.app.request('/api/v1/projects', jsonRequest({ name, display_name: 'Adopted', description: 'An existing Harbor project', public: false, tenantId: tenant, members: [] }, {}, 'PUT'));
    expect(registered.status, await registered.clone().text()).toBe(200);
    expect((await readJson(registered)).imported).toEqual({ models: 1, images: 2, tags: 2 });
    expect((await storedReads(name)).map((r) => r.digest).sort()).toEqual([old.digest, kept.digest].sort());
    expect((await putPolicy(stack, name, { rules: [{ kind: 'keep_newest', count: 1, per: 'model' }] })).status).toBe(200);
    expect((await candidates(name)).items).toEqual([expect.objectContaining({ tag: '1.0.0', sizeBytes: old.own + old.shared, freesBytes: old.own, freesBytesEstimated: false })]);
  });

  it('a manifest Harbor fails to serve leaves the version catalogued and the figures marked as estimates; the next refresh reads it', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('unread') });
    const shared = Buffer.alloc(2 * MiB, 9);
    const old = await pushSharing(project, 'llm', '1.0.0', shared);
    const kept = await pushSharing(project, 'llm', '2.0.0', shared);
    expect((await putPolicy(stack, project, { rules: [{ kind: 'keep_newest', count: 1, per: 'model' }] })).status).toBe(200);

    // Every manifest read of this refresh fails (the client's own retries too).
    stack.harbor.emulator.faults.failNext('registry.getManifest', 503, 1000);
    try {
      await catalogued(stack, project, ['llm:1.0.0', 'llm:2.0.0']);
    } finally {
      stack.harbor.emulator.faults.reset();
    }
    expect(await storedReads(project)).toEqual([]);
    const estimated = await candidates(project);
    // Each artifact is one blob: the shared layer counts as freed, and the report says it may.
    expect(estimated.items).toEqual([expect.objectContaining({ tag: '1.0.0', sizeBytes: old.own + old.shared, freesBytes: old.own + old.shared, freesBytesEstimated: true })]);
    expect(estimated.totals).toMatchObject({ freesBytesEstimated: true });

    await catalogued(stack, project, ['llm:1.0.0', 'llm:2.0.0']);
    expect((await storedReads(project)).map((r) => r.digest).sort()).toEqual([old.digest, kept.digest].sort());
    expect((await candidates(project)).items).toEqual([expect.objectContaining({ tag: '1.0.0', freesBytes: old.own, freesBytesEstimated: false })]);
  });
});
