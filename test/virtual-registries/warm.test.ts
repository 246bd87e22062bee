import { createServer, type Server, type ServerResponse } from 'node:http';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
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
import { cacheEntriesOf, createUpstream, createVirtualRegistry, sha256 } from './pull-support';

const MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/**
 * An upstream that serves one model whose weights stop halfway until `release()`: the warm's
 * progress can be read at a known point instead of racing a fast download.
 */
async function startHeldUpstream(repository: string) {
  const config = Buffer.from('{"descriptor":{"name":"held"}}');
  const weights = Buffer.alloc(4 * 1024 * 1024, 7);
  const blobs = new Map([
    [sha256(config), config],
    [sha256(weights), weights],
  ]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST,
      config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: sha256(weights), size: weights.length }],
    }),
  );
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer) => {
    res.writeHead(status, { 'docker-distribution-api-version': 'registry/2.0', ...headers });
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return send(res, 200, { 'content-type': 'application/json' }, Buffer.from('{}'));
    if (url === `/v2/${repository}/manifests/1.0.0` || url === `/v2/${repository}/manifests/${sha256(manifest)}`) {
      return send(res, 200, { 'content-type': MANIFEST, 'docker-content-digest': sha256(manifest), 'content-length': String(manifest.length) }, req.method === 'HEAD' ? undefined : manifest);
    }
    const blob = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    const data = blob && blobs.get(blob[1]!);
    if (!data) return send(res, 404, { 'content-type': 'application/json' }, Buffer.from('{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': blob[1]!, 'content-length': String(data.length) });
    if (data === config) return res.end(data);
    res.write(data.subarray(0, data.length / 2));
    void released.then(() => res.end(data.subarray(data.length / 2)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    manifestDigest: sha256(manifest),
    weights: { digest: sha256(weights), size: weights.length },
    configSize: config.length,
    release,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

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
      const manifest = await fetch(`http://${host}/v2/${tenant}/${registry}/${repository}/manifests/1.2.0`, { headers: { ...bearer(token), accept: MANIFEST } });
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

  it('names the field of a bad request, 404s an unknown registry, and fails a version no upstream has with a 404 problem', async () => {
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
  });
});
