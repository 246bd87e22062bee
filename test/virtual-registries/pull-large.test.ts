import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBlob } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { cacheEntriesOf, createUpstream, createVirtualRegistry, startCountingProxy, type CountingProxy } from './pull-support';

const MiB = 1024 * 1024;

/** `count` MiB of incompressible bytes, made again on demand (never all in memory): one random MiB, each copy numbered. */
function* generated(block: Buffer, count: number) {
  for (let i = 0; i < count; i++) {
    const chunk = Buffer.from(block);
    chunk.writeUInt32BE(i, 0);
    yield chunk;
  }
}

/** Pushes a large blob as one streamed PUT (distribution's monolithic upload); its digest. */
async function pushLargeBlob(base: string, repository: string, block: Buffer, count: number): Promise<string> {
  const hash = createHash('sha256');
  for (const chunk of generated(block, count)) hash.update(chunk);
  const digest = `sha256:${hash.digest('hex')}`;
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST' });
  expect(start.status).toBe(202);
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const status = await new Promise<number>((resolve, reject) => {
    const req = request(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'content-length': String(count * MiB) } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    void (async () => {
      for (const chunk of generated(block, count)) if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      req.end();
    })();
  });
  expect(status).toBe(201);
  return digest;
}

/** Reads an answer's body as it streams, hashing it; never holds it. */
async function streamedDigest(res: Response): Promise<{ digest: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { digest: `sha256:${hash.digest('hex')}`, size };
}

describe('blobs stream through the virtual registry', () => {
  let stack: TestStack;
  let tenant: string;
  let token: string;
  let dataDir: string;
  let upstream: OciRegistry;
  let proxy: CountingProxy;
  let upstreamName: string;
  let registry: string;
  const v2 = (path: string, headers: Record<string, string> = {}) => fetch(`${stack.apiUrl}/v2/${path}`, { headers: { ...bearer(token), ...headers } });

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ listen: true }));
    token = await stack.auth.token({ username: 'reader', tenant, role: 'guest' });
    dataDir = mkdtempSync(join(tmpdir(), 'pull-upstream-'));
    upstream = await startOciRegistry({ dataDir });
    proxy = await startCountingProxy(upstream.url);
    upstreamName = await createUpstream(stack, tenant, { url: proxy.url });
    registry = await createVirtualRegistry(stack, tenant, [upstreamName]);
  }, 120_000);
  afterAll(async () => {
    await proxy?.stop();
    await upstream?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    await stack?.close();
  });

  it('streams a 200 MB blob to ten concurrent pullers with one upstream fetch and bounded memory', async () => {
    const repository = `acme/${uniqueName('big')}`;
    const count = 200;
    const digest = await pushLargeBlob(upstream.url, repository, randomBytes(MiB), count);
    const path = `${tenant}/${registry}/${repository}/blobs/${digest}`;

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const started = performance.now();
    const pulls = await Promise.all(Array.from({ length: 10 }, () => v2(path).then(async (res) => ({ status: res.status, cache: res.headers.get('x-cache'), ...(await streamedDigest(res)) }))));
    clearInterval(sampler);
    const growthMiB = (peak - baseline) / MiB;
    // The whole process (vitest, the API, the clients' reads): a figure to read, with a generous bound, not a target.
    console.log(`200 MB blob, 10 concurrent pulls: ${Math.round(performance.now() - started)} ms, peak RSS ${Math.round(peak / MiB)} MiB, growth ${Math.round(growthMiB)} MiB over ${Math.round(baseline / MiB)} MiB`);
    for (const p of pulls) expect(p).toMatchObject({ status: 200, digest, size: count * MiB });
    expect(pulls.filter((p) => p.cache === 'miss')).toHaveLength(1);
    expect(proxy.count('GET', new RegExp(`/blobs/${digest}$`))).toBe(1);
    expect(growthMiB).toBeLessThan(150);

    const [entry] = (await cacheEntriesOf(stack, tenant, upstreamName)).filter((e) => e.digest === digest);
    expect(entry).toMatchObject({ size: String(count * MiB), relative_path: `v2/${repository}/blobs/${digest}` });
    const again = await v2(path);
    expect(again.headers.get('x-cache')).toBe('hit');
    expect((await streamedDigest(again)).digest).toBe(digest);
    expect(proxy.count('GET', new RegExp(`/blobs/${digest}$`))).toBe(1);

    // A client that goes away mid-blob: the API (this process) closes its read of the cached file.
    const file = realpathSync(join(stack.cacheDir, entry!.object_storage_key));
    const readsOfFile = () => readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === file;
      } catch {
        return false; // closed meanwhile
      }
    }).length;
    const aborted = new AbortController();
    const partial = await fetch(`${stack.apiUrl}/v2/${path}`, { headers: bearer(token), signal: aborted.signal });
    await partial.body!.getReader().read();
    expect(readsOfFile()).toBe(1);
    aborted.abort();
    await eventually('the cached file closed after the client went away', () => readsOfFile() === 0, { timeoutMs: 10_000 });
  }, 300_000);

  it('does not cache a blob whose upstream bytes do not match its digest; the client sees the transfer fail', async () => {
    const repository = `acme/${uniqueName('corrupt')}`;
    const data = randomBytes(3 * MiB);
    const { digest } = await pushBlob(upstream.url, repository, data, 'application/octet-stream');
    const hex = digest.slice('sha256:'.length);
    // Rot on the upstream's disk: same size, other bytes.
    writeFileSync(join(dataDir, 'docker/registry/v2/blobs/sha256', hex.slice(0, 2), hex, 'data'), randomBytes(data.length));
    const path = `${tenant}/${registry}/${repository}/blobs/${digest}`;

    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await v2(path);
      expect(res.status).toBe(200); // the headers went before the last byte could be checked
      await expect(streamedDigest(res)).rejects.toThrow();
    }
    expect(proxy.count('GET', new RegExp(`/blobs/${digest}$`))).toBe(2); // not cached, so asked again
    expect((await cacheEntriesOf(stack, tenant, upstreamName)).filter((e) => e.digest === digest)).toEqual([]);
    const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.upstreams where tenant_id = ${tenant} and name = ${upstreamName} and not is_archived`;
    expect(existsSync(join(stack.cacheDir, tenant, row!.id, 'blobs/sha256', hex))).toBe(false);
    expect(readdirSync(join(stack.cacheDir, '.tmp'))).toEqual([]);
  });
});
