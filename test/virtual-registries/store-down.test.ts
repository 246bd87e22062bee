import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createS3ObjectStore } from '../../storage/s3';
import { pushBlob } from '../harbor/oci-push';
import { startStackWithTenant } from '../support/fixtures';
import type { TestStack } from '../support/stack';
import { freePort } from '../servers/ports';
import type { OciRegistry } from '../servers/oci-registry';
import { OCI_MANIFEST, sha256, startMirroredModel, type pushTitledModel } from './pull-support';

/**
 * The cache's store down (an S3 endpoint that refuses connections, read and written by the real AWS
 * SDK): pulls are served from the upstream, uncached, never a 500, and a blob larger than what the
 * store's failed put took in does not stall; what was cached before serves again once the store is back.
 */
describe('pulls while the cache store is down', () => {
  let stack: TestStack;
  let tenant: string;
  let mirror: OciRegistry;
  let registry: string;
  let repository: string;
  let model: Awaited<ReturnType<typeof pushTitledModel>>;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
    ({ mirror, repository, model, registry } = await startMirroredModel(stack, tenant));
  }, 300_000);
  afterAll(async () => {
    await mirror?.stop();
    await stack?.close();
  });

  it('serves manifests and blobs from the upstream, uncached, and the cache serves again once the store is back', async () => {
    const down = createS3ObjectStore({ endpoint: `http://127.0.0.1:${await freePort()}`, region: 'us-east-1', bucket: 'cache', accessKeyId: 'k', secretAccessKey: 's', forcePathStyle: true });
    const app = stack.appWith({ cacheStore: down });
    const base = `/v2/${tenant}/${registry}/${repository}`;
    const [cached, uncached] = model.layers;
    // One blob cached while the store was up (the stack's own store).
    const before = await stack.app.request(`${base}/blobs/${cached!.digest}`);
    expect(before.status).toBe(200);
    expect(sha256(Buffer.from(await before.arrayBuffer()))).toBe(cached!.digest);

    for (let i = 0; i < 2; i++) {
      const manifest = await app.request(`${base}/manifests/1.2.0`, { headers: { accept: OCI_MANIFEST } });
      expect(manifest.status, await manifest.clone().text()).toBe(200);
      expect(manifest.headers.get('x-cache')).toBe('miss'); // not cached: asked again
      expect(sha256(Buffer.from(await manifest.arrayBuffer()))).toBe(model.digest);
    }
    for (const layer of [cached!, uncached!]) {
      const blob = await app.request(`${base}/blobs/${layer.digest}`);
      expect(blob.status, await blob.clone().text()).toBe(200);
      expect(blob.headers.get('x-cache')).toBe('miss');
      expect(sha256(Buffer.from(await blob.arrayBuffer()))).toBe(layer.digest);
    }
    // Larger than the store's first part (8 MiB) and the tee's buffers: the failed put must let its side go.
    const large = await pushBlob(mirror.url, repository, randomBytes(40 * 1024 * 1024), 'application/vnd.cncf.model.weight.v1.raw');
    const big = await app.request(`${base}/blobs/${large.digest}`);
    expect(big.status).toBe(200);
    expect(sha256(Buffer.from(await big.arrayBuffer()))).toBe(large.digest);

    // The store back: the blob cached before is a hit.
    const after = await stack.app.request(`${base}/blobs/${cached!.digest}`);
    expect(after.headers.get('x-cache')).toBe('hit');
    expect(sha256(Buffer.from(await after.arrayBuffer()))).toBe(cached!.digest);
  }, 180_000);
});
