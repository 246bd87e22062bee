/**
 * The baselines of the benchmarks, in a process of its own as the API is: a bare Hono route on
 * @hono/node-server that reads a JSON body and answers a small JSON object (bench/webhook-ingest.ts),
 * and, given a JSON file of `{ name: body }`, `GET /bare/<name>` answering that body's bytes from
 * memory (bench/list-models.ts: the same bytes the API answered). For bench/virtual-registry.ts, the
 * least a blob's bytes can cost on their way through a Node process: `GET /bare/relay?url=…` relays an
 * upstream's GET (undici's `request`, piped into Node's response: no hash, no store, no auth, no
 * database), `GET /bare/verified-relay?url=…` does the least a miss must do: relays it, hashing every
 * chunk with sha256 and writing it to a file (deleted afterwards) in one plain loop, and
 * `GET /bare/file?path=…` writes a file as the pull path writes a cache hit
 * (lib/file-range.ts) with nothing before it. Prints one JSON line with its URLs, and stops on SIGTERM.
 *
 *   npx tsx bench/bare-process.ts [bodies.json]
 */
import { createHash } from 'node:crypto';
import { createWriteStream, readFileSync } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { serve, type HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { Hono } from 'hono';
import { request } from 'undici';
import { writeFileRange } from '../lib/file-range';

const bodies = new Map(Object.entries(process.argv[2] ? (JSON.parse(readFileSync(process.argv[2], 'utf8')) as Record<string, string>) : {}).map(([name, body]) => [name, Buffer.from(body)]));
const drained = (w: NodeJS.WritableStream) => new Promise<void>((resolve) => w.once('drain', resolve));

const bare = new Hono<{ Bindings: HttpBindings }>()
  .get('/bare/relay', async (c) => {
    const upstream = await request(c.req.query('url')!);
    c.env.outgoing.writeHead(upstream.statusCode, { 'content-length': String(upstream.headers['content-length']), 'content-type': 'application/octet-stream' });
    pipeline(upstream.body as Readable, c.env.outgoing).catch(() => c.env.outgoing.destroy());
    return RESPONSE_ALREADY_SENT;
  })
  .get('/bare/verified-relay', async (c) => {
    const upstream = await request(c.req.query('url')!);
    const out = c.env.outgoing;
    out.writeHead(upstream.statusCode, { 'content-length': String(upstream.headers['content-length']), 'content-type': 'application/octet-stream' });
    const path = join(tmpdir(), `bare-verified-relay-${process.pid}-${Date.now()}`);
    const file = createWriteStream(path);
    const hash = createHash('sha256');
    void (async () => {
      for await (const chunk of upstream.body as AsyncIterable<Buffer>) {
        hash.update(chunk);
        const waits: Promise<void>[] = [];
        if (!out.write(chunk)) waits.push(drained(out));
        if (!file.write(chunk)) waits.push(drained(file));
        await Promise.all(waits);
      }
      hash.digest('hex');
      out.end();
      file.end();
      await finished(file);
    })()
      .catch(() => out.destroy())
      .finally(() => rm(path, { force: true }));
    return RESPONSE_ALREADY_SENT;
  })
  .get('/bare/file', async (c) => {
    const handle = await open(c.req.query('path')!, 'r');
    const { size } = await handle.stat();
    c.env.outgoing.writeHead(200, { 'content-length': String(size), 'content-type': 'application/octet-stream' });
    writeFileRange({ handle, size, start: 0, end: size - 1 }, c.env.outgoing).catch(() => c.env.outgoing.destroy());
    return RESPONSE_ALREADY_SENT;
  })
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
