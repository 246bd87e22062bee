import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { eventually } from '../support/eventually';

export interface ReceivedWebhook {
  headers: Record<string, string>;
  body: unknown;
}

/** A test HTTP endpoint that records what it receives and answers `status` (default 200). */
/** `failFirst`: that many deliveries are answered 503 (the receiver down or restarting), the rest `status`. */
export async function startReceiver(opts: { status?: number; failFirst?: number } = {}) {
  const received: ReceivedWebhook[] = [];
  const app = new Hono();
  app.post('*', async (c) => {
    const headers: Record<string, string> = {};
    c.req.raw.headers.forEach((v, k) => (headers[k] = v));
    received.push({ headers, body: await c.req.json() });
    return c.body(null, (received.length <= (opts.failFirst ?? 0) ? 503 : (opts.status ?? 200)) as 200);
  });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    /** Every delivery so far, once there are `count` (or fails after `timeoutMs`). */
    async waitFor(count: number, timeoutMs = 10_000) {
      await eventually(`${count} webhook deliveries`, () => received.length >= count, { timeoutMs, intervalMs: 25 });
      return received;
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
