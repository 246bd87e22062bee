import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushCosignSignature, pushModel } from '../harbor/oci-push';
import { eventually, expectNever } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';


describe('catalogue read API', () => {
  let stack: TestStack;
  let project: string;
  let digests: Record<string, string>;
  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true });
    const tenant = await createTenant(stack);
    project = uniqueName('cat');
    await onboardProject(stack, tenant, { name: project });
    digests = {};
    for (const tag of ['1.10.0', '1.2.0', '1.2.0-rc.1', 'nightly']) digests[tag] = (await pushModel(stack.harbor.emulator.url, `${project}/llama`, tag)).digest;
    const bert = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '0.1.0', { labels: { team: 'nlp' } });
    await pushCosignSignature(stack.harbor.emulator.url, `${project}/bert`, bert.digest);
    // Webhooks feed the catalogue; a refresh makes sure it is complete before reading.
    expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBe(200);
  });
  afterAll(() => stack.close());

  it('lists a project\'s models with a name prefix and cursor pages', async () => {
    const first = await readJson(await stack.app.request(`/api/v1/projects/${project}/models?limit=1`));
    expect(first.items.map((m: { name: string }) => m.name)).toEqual(['bert']);
    const second = await readJson(await stack.app.request(`/api/v1/projects/${project}/models?limit=1&cursor=${first.nextCursor}`));
    expect(second).toMatchObject({ items: [{ name: 'llama', project, registry: stack.registry }], nextCursor: null });
    expect((await readJson(await stack.app.request(`/api/v1/projects/${project}/models?namePrefix=ll`))).items).toHaveLength(1);
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('none')}/models`)).status).toBe(404);
  });

  it('filters by type, label, signature and scan severity, and sorts with stable cursors', async () => {
    const names = async (query: string) => {
      const res = await stack.app.request(`/api/v1/projects/${project}/models?${query}`);
      expect(res.status, query).toBe(200);
      return (await readJson(res)).items.map((m: { name: string }) => m.name);
    };
    await eventually('bert\'s labels', async () => (await names('label=team%3Dnlp')).length === 1);
    expect(await names('type=text-generation')).toEqual(['bert', 'llama']);
    expect(await names('type=text-to-image')).toEqual([]);
    expect(await names('label=team%3Dnlp')).toEqual(['bert']);
    await eventually('the signature', async () => (await names('hasSignature=true')).length === 1);
    expect(await names('hasSignature=true')).toEqual(['bert']);
    expect(await names('hasSignature=false')).toEqual(['llama']);
    await stack.harbor.client.artifacts.scan(project, 'llama', '1.2.0');
    await eventually('the scan result', async () => (await names('scanSeverity=none,unknown,low,medium,high,critical')).length === 1);
    expect(await names('scanSeverity=none,unknown,low,medium,high,critical')).toEqual(['llama']);
    expect(await names('sort=-name')).toEqual(['llama', 'bert']);
    const first = await readJson(await stack.app.request(`/api/v1/projects/${project}/models?sort=-name&limit=1`));
    expect((await readJson(await stack.app.request(`/api/v1/projects/${project}/models?sort=-name&limit=1&cursor=${first.nextCursor}`))).items[0].name).toBe('bert');
    expect(await names('sort=createdAt')).toHaveLength(2);
    const bad = await stack.app.request(`/api/v1/projects/${project}/models?scanSeverity=severe&sort=size`);
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors.map((e: { field: string }) => e.field).sort()).toEqual(['query.scanSeverity', 'query.sort']);
  });

  it('changes a model by PATCH (through a workflow, the description in Harbor too) and keeps it across pushes', async () => {
    const patch = (body: unknown, model = 'bert') => stack.app.request(`/api/v1/models/${project}/${model}`, jsonRequest(body, {}, 'PATCH'));
    const res = await patch({ description: 'Our BERT', labels: ['approved', 'team=nlp'], customMetadata: { owner: 'ml-platform' } });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ name: 'bert', description: 'Our BERT', labels: ['approved', 'team=nlp'], customMetadata: { owner: 'ml-platform' } });
    expect((await stack.harbor.client.repositories.get(project, 'bert'))?.description).toBe('Our BERT');
    // A new push and a refresh bring the artifact's own description and labels: the user's stay.
    await pushModel(stack.harbor.emulator.url, `${project}/bert`, '0.2.0', { labels: { team: 'other' } });
    expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBe(200);
    await eventually('the new version', async () => (await readJson(await stack.app.request(`/api/v1/models/${project}/bert`))).versions.length === 2);
    await expectNever("the push's description or labels replacing the user's", async () => {
      expect(await readJson(await stack.app.request(`/api/v1/models/${project}/bert`))).toMatchObject({ description: 'Our BERT', labels: ['approved', 'team=nlp'], customMetadata: { owner: 'ml-platform' } });
    }, { forMs: 500 });
    const partial = await readJson(await patch({ customMetadata: { owner: 'ml-platform', stage: 'prod' } }));
    expect(partial).toMatchObject({ description: 'Our BERT', customMetadata: { owner: 'ml-platform', stage: 'prod' } });
    expect((await patch({})).status).toBe(400);
    expect((await patch({ labels: 'x' })).status).toBe(400);
    expect((await patch({ description: 'x' }, 'ghost')).status).toBe(404);
  });

  it('resolves a full name as pasted: registry, project, model, tag or digest', async () => {
    const resolve = (name: string) => stack.app.request(`/api/v1/models/resolve?name=${encodeURIComponent(name)}`);
    const byTag = await readJson(await resolve(`${stack.registry}/${project}/llama:1.2.0`));
    expect(byTag).toMatchObject({ registry: stack.registry, project, model: 'llama', tag: '1.2.0', digest: digests['1.2.0'], fullName: `${stack.registry}/${project}/llama:1.2.0` });
    expect((await stack.app.request(byTag.links.version)).status).toBe(200);
    const byDigest = await readJson(await resolve(`${project}/llama@${digests['1.10.0']}`));
    expect(byDigest).toMatchObject({ tag: '1.10.0', tags: ['1.10.0'], digest: digests['1.10.0'] });
    expect((await readJson(await resolve(`${project}/llama`))).links.version).toBeNull();
    const bad = await resolve('not a name');
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors[0].field).toBe('query.name');
    expect((await resolve(`${project}/llama:9.9.9`)).status).toBe(404);
    expect((await resolve(`elsewhere.example/${project}/llama:1.2.0`)).status).toBe(404);
  });

  it('shows a model with versions in semantic-version order, non-semver tags kept and flagged', async () => {
    await eventually("llama's license from its metadata", async () => (await readJson(await stack.app.request(`/api/v1/models/${project}/llama`))).license, { timeoutMs: 10_000 });
    const model = await readJson(await stack.app.request(`/api/v1/models/${project}/llama`));
    expect(model).toMatchObject({ name: 'llama', author: 'ML Team <ml@acme.example>', license: 'Apache-2.0' });
    expect(model.versions).toEqual([
      { tag: '1.2.0-rc.1', semver: true, digest: digests['1.2.0-rc.1'] },
      { tag: '1.2.0', semver: true, digest: digests['1.2.0'] },
      { tag: '1.10.0', semver: true, digest: digests['1.10.0'] },
      { tag: 'nightly', semver: false, digest: digests.nightly },
    ]);
    expect((await stack.app.request(`/api/v1/models/${project}/ghost`)).status).toBe(404);
  });

  it('shows one version with its manifest and metadata tree', async () => {
    // Metadata and manifest are written together by the repository workflow; wait until both are in.
    const version = await eventually("the version's metadata and manifest", async () => {
      const v = await readJson(await stack.app.request(`/api/v1/models/${project}/llama/versions/1.2.0`));
      return v.metadata.length > 0 && v.manifest !== null && v;
    }, { timeoutMs: 10_000 });
    expect(version).toMatchObject({ tag: '1.2.0', digest: digests['1.2.0'], fullName: `${stack.registry}/${project}/llama:1.2.0`, manifest: { artifactType: 'application/vnd.cncf.model.manifest.v1+json' } });
    const runtime = version.metadata.find((n: { name: string }) => n.name === 'runtime');
    expect(runtime.children).toEqual(expect.arrayContaining([{ name: 'format', value: 'safetensors', children: [] }]));
    expect(version.metadata.filter((n: { name: string }) => n.name === 'layer').map((n: { value: string }) => n.value).sort()).toEqual(['README.md', 'model.safetensors']);
    expect((await stack.app.request(`/api/v1/models/${project}/llama/versions/9.9.9`)).status).toBe(404);
  });

  // Project lookups are kept in memory while projects do not change (db/change-feed.ts): archiving
  // one must take its models out of sight by the time the archive's answer arrives, with no wait.
  it('stops showing the models of a project archived after they were read, at once', async () => {
    expect((await stack.app.request(`/api/v1/models/${project}/llama`)).status).toBe(200);
    expect((await stack.app.request(`/api/v1/projects/${project}/models`)).status).toBe(200);
    expect((await stack.app.request(`/api/v1/projects/${project}`, { method: 'DELETE' })).status).toBe(200);
    expect((await stack.app.request(`/api/v1/models/${project}/llama`)).status).toBe(404);
    expect((await stack.app.request(`/api/v1/projects/${project}/models`)).status).toBe(404);
  });
});
