import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { pushBlob } from '../harbor/oci-push';
import { startStackWithTenant } from '../support/fixtures';
import type { TestStack } from '../support/stack';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { cacheEntriesOf, createUpstream, createVirtualRegistry, sha256, startCountingProxy, type CountingProxy } from './pull-support';

/**
 * Cache fills across processes (db/fill-locks.ts): two apps, each with its own pull service (its own
 * in-process flights) and its own lock sessions, stand for two API processes on one database.
 */
describe('one upstream fetch per uncached blob across API processes', () => {
  let stack: TestStack;
  let tenant: string;
  let upstream: OciRegistry;
  let proxy: CountingProxy;
  let upstreamName: string;
  let registry: string;
  let other: TestStack['app'];

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
    upstream = await startOciRegistry();
    proxy = await startCountingProxy(upstream.url);
    upstreamName = await createUpstream(stack, tenant, { url: proxy.url });
    registry = await createVirtualRegistry(stack, tenant, [upstreamName]);
    other = stack.appWith({});
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
    await stack?.close();
  });

  const pullBlob = async (app: TestStack['app'], name: string, digest: string) => {
    const res = await app.request(`/v2/${tenant}/${registry}/${name}/blobs/${digest}`);
    return { status: res.status, cache: res.headers.get('x-cache'), digest: sha256(Buffer.from(await res.arrayBuffer())) };
  };

  it('ten concurrent pulls split over two processes fetch the blob from the upstream once', async () => {
    const name = 'acme/split';
    const blob = await pushBlob(upstream.url, name, randomBytes(16 * 1024 * 1024), 'application/octet-stream');
    const pulls = await Promise.all(Array.from({ length: 10 }, (_, i) => pullBlob(i % 2 === 0 ? stack.app : other, name, blob.digest)));
    for (const p of pulls) expect(p).toMatchObject({ status: 200, digest: blob.digest });
    expect(pulls.filter((p) => p.cache === 'miss')).toHaveLength(1);
    expect(proxy.count('GET', new RegExp(`/blobs/${blob.digest}$`))).toBe(1);
    expect((await cacheEntriesOf(stack, tenant, upstreamName)).filter((e) => e.digest === blob.digest)).toHaveLength(1);
  }, 120_000);

  it('a pull waits while another process holds the fill, and fetches itself once that process is gone without committing', async () => {
    const name = 'acme/orphaned';
    const blob = await pushBlob(upstream.url, name, randomBytes(1024 * 1024), 'application/octet-stream');
    const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.upstreams where tenant_id = ${tenant} and name = ${upstreamName}`;
    // Another process's session takes the fill's lock, as its pull would, and then dies.
    const holder = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    const [taken] = await holder<{ ok: boolean }[]>`select pg_try_advisory_lock(hashtext(${row!.id}), hashtext(${blob.digest})) as ok`;
    expect(taken!.ok).toBe(true);
    let settled = false;
    const pull = pullBlob(stack.app, name, blob.digest).finally(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(settled).toBe(false);
    expect(proxy.count('GET', new RegExp(`/blobs/${blob.digest}$`))).toBe(0);
    await holder.end();
    expect(await pull).toMatchObject({ status: 200, cache: 'miss', digest: blob.digest });
    expect(proxy.count('GET', new RegExp(`/blobs/${blob.digest}$`))).toBe(1);
  }, 60_000);
});
