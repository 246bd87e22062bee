/**
 * The baseline of bench/webhook-ingest.ts, in a process of its own as the API is: a bare Hono route
 * on @hono/node-server that reads the JSON body and answers a small JSON object, nothing else.
 * Prints one JSON line with its URL, and stops on SIGTERM.
 *
 *   npx tsx bench/bare-process.ts
 */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const bare = new Hono().post('/bare', async (c) => {
  await c.req.json();
  return c.json({ ok: true });
});
const server = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bare` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
