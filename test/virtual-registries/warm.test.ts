import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { startStackWithTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';
import { workflowBundle } from '../support/workflow-bundle';
import { virtualRegistryWarmWorkflowId } from '../../lib/workflow-ids';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { cacheEntriesOf, createUpstream, createVirtualRegistry, OCI_MANIFEST, sha256, startHeldUpstream } from './pull-support';

describe('warming a virtual registry (POST …/virtual-registries/{registry}/warm)', () => {
  let stack: TestStack;
  let tenant: string;
  let mirror: OciRegistry;
  let host: string;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ listen: true }));
    host = stack.apiUrl!.replace(/^http:\/\//, '');
    mirror = await startOciRegistry();
  }, 300_000);
  afterAll(async () => {
    await mirror?.stop();
    await stack?.close();
  });

  const warm = (registry: string, body: unknown, app = stack.app) => app.request(`/api/v1/tenants/${tenant}/virtual-registries/${registry}/warm`, jsonRequest(body));

  it('prefetches every blob of a version, so pulls with the upstream gone are cache hits; a second warm fetches nothing', async () => {
    const repository = `acme/${uniqueName('warm')}`;
    const model = await pushModel(mirror.url, repository, '1.2.0');
    const upstream = await createUpstream(stack, tenant, { url: mirror.url });
    const registry = await createVirtualRegistry(stack, tenant, [upstream]);

    const res = await warm(registry, { name: repository, reference: '1.2.0' });
    expect(res.status, await res.clone().text()).toBe(200);
    const blobs = [model.config, ...model.layers];
    expect(await readJson(res)).toEqual({
      status: 'done',
      digest: model.digest,
      blobsTotal: 3,
      blobsDone: 3,
      bytesTotal: blobs.reduce((n, b) => n + b.size, 0),
      bytesDone: blobs.reduce((n, b) => n + b.size, 0),
      blobsCached: 0,
      current: null,
    });
    const paths = (await cacheEntriesOf(stack, tenant, upstream)).map((e) => e.relative_path).sort();
    expect(paths).toEqual([`v2/${repository}/manifests/1.2.0`, `v2/${repository}/manifests/${model.digest}`, ...blobs.map((b) => `v2/${repository}/blobs/${b.digest}`)].sort());

    await mirror.stop();
    try {
      const token = await stack.auth.token({ username: 'reader', tenant, role: 'guest' });
      const manifest = await fetch(`http://${host}/v2/${tenant}/${registry}/${repository}/manifests/1.2.0`, { headers: { ...bearer(token), accept: OCI_MANIFEST } });
      expect([manifest.status, manifest.headers.get('x-cache')]).toEqual([200, 'hit']);
      for (const b of blobs) {
        const blob = await fetch(`http://${host}/v2/${tenant}/${registry}/${repository}/blobs/${b.digest}`, { headers: bearer(token) });
        expect([blob.status, blob.headers.get('x-cache')]).toEqual([200, 'hit']);
        expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(b.digest);
      }
      // By digest now (a new workflow id): everything is in the cache, nothing is fetched.
      const again = await readJson(await warm(registry, { name: repository, reference: model.digest }));
      expect(again).toMatchObject({ status: 'done', blobsDone: 3, blobsCached: 3 });
    } finally {
      mirror = await startOciRegistry({ port: Number(new URL(mirror.url).port) });
    }

    const [audit] = await stack.database.sql<{ details: Record<string, unknown> }[]>`
      select details from modelregistry.audit_events where action = 'virtual_registry.warmed' and resource = ${`tenants/${tenant}/virtual-registries/${registry}`} order by occurred_at limit 1`;
    expect(audit!.details).toMatchObject({ name: repository, reference: '1.2.0', digest: model.digest, blobs: 3, blobsCached: 0 });

    const workflowId = virtualRegistryWarmWorkflowId(tenant, registry, repository, '1.2.0');
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
    // Committed, test/workflows/replay.test.ts replays it against every later change of the code.
    if (process.env.RECORD_HISTORIES === '1') writeFileSync(new URL('../histories/virtual-registry-warm.json', import.meta.url), historyToJSON(history));
  });

  it('shows its progress on the operation while a blob streams in', async () => {
    const repository = `acme/${uniqueName('held')}`;
    const held = await startHeldUpstream(repository);
    try {
      const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: held.url })]);
      const started = await warm(registry, { name: repository, reference: '1.0.0' }, stack.appWith({ mutationWaitMs: 0 }));
      expect(started.status, await started.clone().text()).toBe(202);
      const operation = started.headers.get('location')!;
      const fetching = await eventually('the warm fetching the held blob', async () => {
        const op = await readJson(await stack.app.request(operation));
        return op.progress?.current === held.weights.digest ? op : null;
      });
      expect(fetching).toMatchObject({
        status: 'running',
        kind: 'virtualRegistryWarmWorkflow',
        progress: { status: 'fetching', digest: held.manifestDigest, blobsTotal: 2, blobsDone: 1, bytesTotal: held.configSize + held.weights.size, bytesDone: held.configSize },
      });
      held.release();
      const done = await eventually('the warm done', async () => {
        const op = await readJson(await stack.app.request(operation));
        return op.status === 'completed' ? op : null;
      });
      expect(done.result).toMatchObject({ status: 'done', blobsDone: 2, bytesDone: held.configSize + held.weights.size });
      expect(done.progress).toBeUndefined();
    } finally {
      held.release();
      await held.stop();
    }
  });

  it('names the field of a bad request, 404s an unknown registry, fails a version no upstream has with a 404 problem, and one its upstreams keep failing with a 502', async () => {
    const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const badName = await warm(registry, { name: 'Not/A Repo', reference: '1.0.0' });
    expect(badName.status).toBe(400);
    expect(badName.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(await readJson(badName))).toContain('body.name');
    const badReference = await warm(registry, { name: 'acme/x', reference: 'sha256:nothex' });
    expect(badReference.status).toBe(400);
    expect(JSON.stringify(await readJson(badReference))).toContain('body.reference');
    const missing = await warm(registry, { name: 'acme/x' });
    expect(JSON.stringify(await readJson(missing))).toContain('body.reference');

    const unknown = await warm(uniqueName('nope'), { name: 'acme/x', reference: '1.0.0' });
    expect(unknown.status).toBe(404);

    const absent = await warm(registry, { name: `acme/${uniqueName('absent')}`, reference: '9.9.9' });
    expect(absent.status).toBe(404);
    expect(await readJson(absent)).toMatchObject({ detail: expect.stringContaining('is not in any upstream') });

    // An upstream that keeps refusing (here its credential, absent): retried, then a 502 naming it, not a 500.
    const guarded = await startOciRegistry({ auth: { username: 'someone', password: uniqueName('pw') } });
    try {
      const refusing = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: guarded.url })]);
      const failed = await warm(refusing, { name: 'acme/x', reference: '1.0.0' });
      const problem = await readJson(failed);
      expect(failed.status, JSON.stringify(problem)).toBe(502);
      expect(problem).toMatchObject({ type: 'https://model-registry.dev/problems/upstream-unavailable', title: 'Upstream unavailable' });
    } finally {
      await guarded.stop();
    }
  });
});
