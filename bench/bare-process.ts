/**
 * The baselines of the benchmarks, in a process of its own as the API is: a bare Hono route on
 * @hono/node-server that reads a JSON body and answers a small JSON object (bench/webhook-ingest.ts),
 * and, given a JSON file of `{ name: body }`, `GET /bare/<name>` answering that body's bytes from
 * memory (bench/list-models.ts: the same bytes the API answered). Prints one JSON line with its
 * URLs, and stops on SIGTERM.
 *
 *   npx tsx bench/bare-process.ts [bodies.json]
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const bodies = new Map(Object.entries(process.argv[2] ? (JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, string>) : {}).map(([name, body]) => [name, Buffer.from(body)]));
const bare = new Hono()
  .post('/bare', async (c) => {
    await c.req.json();
    return c.json({ ok: true });
  })
  .get('/bare/:name', (c) => {
    const body = bodies.get(c.req.param('name'));
    return body ? c.body(body, 200, { 'content-type': 'application/json' }) : c.notFound();
  });
const server = serve({ fetch: bare.fetch, port: 0, hostname: '127.0.0.1' }, () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/bare` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
