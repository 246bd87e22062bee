import { createServer, type AddressInfo, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createUpstreamClient, UpstreamUnreachable } from '../../registry-proxy/upstream-client';
import { createSecretBox } from '../../lib/secrets';

/** A TCP server that drops every connection at once, counting them: an upstream that cannot be reached. */
async function dropping(): Promise<{ url: string; connections: () => number; server: Server }> {
  let count = 0;
  const server = createServer((socket) => {
    count++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, connections: () => count, server };
}

describe('an upstream that could not be reached is skipped for a while', () => {
  let upstream: Awaited<ReturnType<typeof dropping>> | undefined;
  afterEach(() => new Promise<void>((resolve) => (upstream ? upstream.server.close(() => resolve()) : resolve())));
  const of = (url: string) => ({ id: 'u1', name: 'partner', url, position: 1, cacheValidityHours: 24, username: null, sealedSecret: null });
  const secrets = createSecretBox(Buffer.alloc(32, 1));

  it('fails at once while skipped, then asks it again', async () => {
    upstream = await dropping();
    const client = createUpstreamClient({ secrets, skipUnreachableMs: 300 });
    const ask = () => client.request(of(upstream!.url), '/v2/', { method: 'GET' });
    await expect(ask()).rejects.toThrow(UpstreamUnreachable);
    const asked = upstream.connections();
    expect(asked).toBeGreaterThan(0);
    await expect(ask()).rejects.toThrow(/not asked again for \d+ s/);
    expect(upstream.connections()).toBe(asked);
    await new Promise((resolve) => setTimeout(resolve, 350));
    await expect(ask()).rejects.toThrow(UpstreamUnreachable);
    expect(upstream.connections()).toBeGreaterThan(asked);
  });

  it('asks an upstream whose URL was changed at once', async () => {
    upstream = await dropping();
    const client = createUpstreamClient({ secrets, skipUnreachableMs: 60_000 });
    await expect(client.request(of('http://127.0.0.1:1'), '/v2/', { method: 'GET' })).rejects.toThrow(UpstreamUnreachable);
    await expect(client.request(of('http://127.0.0.1:1'), '/v2/', { method: 'GET' })).rejects.toThrow(/not asked again/);
    // The same upstream (id) at its corrected URL: asked, not skipped.
    await expect(client.request(of(upstream.url), '/v2/', { method: 'GET' })).rejects.toThrow(UpstreamUnreachable);
    expect(upstream.connections()).toBeGreaterThan(0);
  });

  it('names why a URL could not be asked, not only the error class', async () => {
    const client = createUpstreamClient({ secrets, skipUnreachableMs: 60_000 });
    // fetch refuses port 1 itself ("bad port"): no connection is tried.
    await expect(client.request(of('http://127.0.0.1:1'), '/v2/', { method: 'GET' })).rejects.toThrow(/bad port/);
  });

  it('asks every time without skipUnreachableMs (a warm: its retries are its own)', async () => {
    upstream = await dropping();
    const client = createUpstreamClient({ secrets });
    const ask = () => client.request(of(upstream!.url), '/v2/', { method: 'GET' });
    await expect(ask()).rejects.toThrow(UpstreamUnreachable);
    const asked = upstream.connections();
    await expect(ask()).rejects.toThrow(UpstreamUnreachable);
    expect(upstream.connections()).toBeGreaterThan(asked);
  });
});
