import { createHash, randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { eq, sql } from 'drizzle-orm';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheEntries } from '../../db/schema';
import { cacheObjectKey, type CacheObjectKind } from '../../lib/cache-keys';
import { virtualRegistryCacheWorkflowId } from '../../lib/workflow-ids';
import { createFsObjectStore } from '../../storage/fs';
import { cacheMaintenanceWorkflow } from '../../workflows/virtual-registry-cache';
import { jsonRequest, readJson } from '../support/http';
import { startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { workflowBundle } from '../support/workflow-bundle';

/**
 * The cache's housekeeping as workflows: purge (a registry's, one model's), an upstream's delete,
 * and the maintenance Schedule's expiry and orphan sweep. Entries are written here as the pull path
 * writes them (a whole object, then its row), in the worker's own object store.
 */
describe("a virtual registry's cache housekeeping", () => {
  let stack: TestStack;
  let tenant: string;
  const store = () => createFsObjectStore(stack.cacheDir);
  const base = () => `/api/v1/tenants/${tenant}`;
  const post = (path: string, body: unknown) => stack.app.request(path, jsonRequest(body));

  async function upstream(url = 'https://upstream.example') {
    const res = await post(`${base()}/upstreams`, { name: uniqueName('up'), url });
    expect(res.status).toBe(201);
    return (await readJson(res)) as { id: string; name: string };
  }
  async function registry(...ups: { name: string }[]) {
    const name = uniqueName('vr');
    expect((await post(`${base()}/virtual-registries`, { name })).status).toBe(201);
    const set = await stack.app.request(`${base()}/virtual-registries/${name}/upstreams`, jsonRequest(ups.map((u, i) => ({ upstream: u.name, position: i + 1 })), {}, 'PUT'));
    expect(set.status).toBe(200);
    return name;
  }
  /** One cached file: its object (written whole first) and its entry, as the pull path records them. */
  async function cached(upstreamId: string, relativePath: string, kind: CacheObjectKind, content: Buffer, digest = `sha256:${createHash('sha256').update(content).digest('hex')}`) {
    const key = cacheObjectKey(tenant, upstreamId, kind, digest);
    await store().put(key, Readable.from([content]));
    await stack.database.db.insert(cacheEntries).values({
      upstreamId,
      tenantId: tenant,
      relativePath,
      digest,
      size: content.length,
      objectStorageKey: key,
      fileSha1: createHash('sha1').update(content).digest(),
      fileMd5: createHash('md5').update(content).digest(),
      contentType: kind === 'blobs' ? 'application/octet-stream' : 'application/vnd.oci.image.manifest.v1+json',
    });
    return { key, digest };
  }
  const entriesOf = async (upstreamId: string) =>
    (await stack.database.db.select({ path: cacheEntries.relativePath }).from(cacheEntries).where(eq(cacheEntries.upstreamId, upstreamId)).orderBy(cacheEntries.relativePath)).map((r) => r.path);
  const present = async (key: string) => (await store().head(key)) !== null;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ keycloak: false }));
  }, 120_000);
  afterAll(() => stack?.close());

  it("purges one model's entries, then the whole registry's; an object two names share stays while one needs it", async () => {
    const up = await upstream();
    const name = await registry(up);
    const layer = randomBytes(4096);
    const shared = await cached(up.id, 'v2/llm/blobs/sha256:x', 'blobs', layer);
    await cached(up.id, `v2/llm/blobs/${shared.digest}`, 'blobs', layer);
    await cached(up.id, `v2/llm-other/blobs/${shared.digest}`, 'blobs', layer);
    const tag = await cached(up.id, 'v2/llm/manifests/1.0.0', 'manifests', Buffer.from('{"schemaVersion":2}'));
    const deeper = await cached(up.id, 'v2/llm/base/manifests/1.0.0', 'manifests', Buffer.from('{"schemaVersion":2,"deeper":true}'));

    const one = await stack.app.request(`${base()}/virtual-registries/${name}/cache?name=llm`, { method: 'DELETE' });
    const removed = await readJson(one);
    expect(one.status, JSON.stringify(removed)).toBe(200);
    // llm's three entries; `llm-other` and `llm/base` are other models.
    expect(removed).toEqual({ entries: 3, bytes: 2 * layer.length + 19, objects: 1 });
    expect(await entriesOf(up.id)).toEqual(['v2/llm-other/blobs/' + shared.digest, 'v2/llm/base/manifests/1.0.0']);
    expect(await present(shared.key)).toBe(true);
    expect(await present(tag.key)).toBe(false);

    const all = await readJson(await stack.app.request(`${base()}/virtual-registries/${name}/cache`, { method: 'DELETE' }));
    expect(all).toMatchObject({ entries: 2, objects: 2 });
    expect(await entriesOf(up.id)).toEqual([]);
    expect(await present(shared.key)).toBe(false);
    expect(await present(deeper.key)).toBe(false);

    // Audited, and the workflow ran under its business id.
    const handle = stack.client.workflow.getHandle(virtualRegistryCacheWorkflowId(tenant, name));
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it('answers 404 for an unknown virtual registry, and 400 naming query.name for a bad name', async () => {
    const missing = await stack.app.request(`${base()}/virtual-registries/${uniqueName('none')}/cache`, { method: 'DELETE' });
    expect(missing.status).toBe(404);
    // A control character, and a name no pull address holds (a warm refuses it too).
    for (const name of ['%01', 'HA/x']) {
      const bad = await readJson(await stack.app.request(`${base()}/virtual-registries/x/cache?name=${name}`, { method: 'DELETE' }));
      expect([...new Set(bad.errors.map((e: { field: string }) => e.field))], name).toEqual(['query.name']);
    }
  });

  it("deleting an upstream removes its entries and objects, not another upstream's", async () => {
    const [gone, kept] = [await upstream(), await upstream()];
    const content = randomBytes(1024);
    const a = await cached(gone.id, 'v2/m/blobs/x', 'blobs', content);
    const b = await cached(kept.id, 'v2/m/blobs/x', 'blobs', content);
    expect((await stack.app.request(`${base()}/upstreams/${gone.name}`, { method: 'DELETE' })).status).toBe(200);
    expect(await entriesOf(gone.id)).toEqual([]);
    expect(await present(a.key)).toBe(false);
    expect(await entriesOf(kept.id)).toEqual(['v2/m/blobs/x']);
    expect(await present(b.key)).toBe(true);
  });

  it('maintenance expires entries unused for the given days and deletes objects no entry points to, after its grace', async () => {
    const up = await upstream();
    const old = await cached(up.id, 'v2/old/manifests/1', 'manifests', Buffer.from('{"old":1}'));
    const fresh = await cached(up.id, 'v2/fresh/manifests/1', 'manifests', Buffer.from('{"fresh":1}'));
    await stack.database.db.execute(sql`update modelregistry.cache_entries set updated_at = now() - interval '40 days' where upstream_id = ${up.id} and relative_path = 'v2/old/manifests/1'`);
    // An object no entry points to (a crash between a purge's rows and its objects), and a file not in our layout.
    const orphan = cacheObjectKey(tenant, up.id, 'blobs', `sha256:${'ab'.repeat(32)}`);
    await store().put(orphan, Readable.from([Buffer.from('orphan')]));
    writeFileSync(join(stack.cacheDir, 'README'), 'not ours');

    const workflowId = uniqueName('cache-maintenance');
    const result = await stack.client.workflow.execute(cacheMaintenanceWorkflow, {
      workflowId,
      taskQueue: stack.taskQueue,
      args: [{ unusedDays: 30, orphanGraceSeconds: 1 }],
    });
    // Committed, test/workflows/replay.test.ts replays it against every later change of the code.
    if (process.env.RECORD_HISTORIES === '1') writeFileSync(new URL('../histories/cache-maintenance.json', import.meta.url), historyToJSON(await stack.client.workflow.getHandle(workflowId).fetchHistory()));
    expect(result.expired.entries).toBeGreaterThanOrEqual(1);
    expect(result.orphansDeleted).toBeGreaterThanOrEqual(1);
    expect(await entriesOf(up.id)).toEqual(['v2/fresh/manifests/1']);
    expect(await present(old.key)).toBe(false);
    expect(await present(orphan)).toBe(false);
    expect(await present(fresh.key)).toBe(true);
    expect(existsSync(join(stack.cacheDir, 'README'))).toBe(true);
  });

  it('replays a purge recorded just now', async () => {
    const up = await upstream();
    const name = await registry(up);
    await cached(up.id, 'v2/r/manifests/1', 'manifests', Buffer.from('{"r":1}'));
    expect((await stack.app.request(`${base()}/virtual-registries/${name}/cache`, { method: 'DELETE' })).status).toBe(200);
    const workflowId = virtualRegistryCacheWorkflowId(tenant, name);
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
    // Committed, test/workflows/replay.test.ts replays it against every later change of the code.
    if (process.env.RECORD_HISTORIES === '1') writeFileSync(new URL('../histories/virtual-registry-cache-purge.json', import.meta.url), historyToJSON(history));
  });
});
