import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveApi } from '../../api/http-server';

/** What Node's HTTP parser refuses before any route runs, on the server api/server.ts and the stack make (serveApi). */
describe('requests the HTTP parser refuses', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const app = new Hono().get('/', (c) => c.text('ok'));
    server = await new Promise<Server>((resolve) => {
      const s = serveApi(app.fetch, { port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** The raw answer to raw bytes: status line, headers and body. */
  const raw = (request: string) =>
    new Promise<{ status: number; headers: string; body: string }>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => socket.write(request));
      let text = '';
      socket.on('data', (d) => (text += d.toString()));
      socket.on('error', reject);
      socket.on('close', () => {
        const [head = '', body = ''] = text.split('\r\n\r\n');
        resolve({ status: Number(head.split(' ')[1]), headers: head.toLowerCase(), body });
      });
    });

  it('answers a control character in a header 400 problem+json, not a bare status line', async () => {
    const res = await raw('GET / HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\x01b\r\n\r\n');
    expect(res.status).toBe(400);
    expect(res.headers).toContain('content-type: application/problem+json');
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, title: 'Bad Request', type: expect.stringMatching(/malformed-request$/) });
  });

  it('answers headers past the limit 431 problem+json', async () => {
    const res = await raw(`GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`);
    expect(res.status).toBe(431);
    expect(JSON.parse(res.body)).toMatchObject({ status: 431, type: expect.stringMatching(/headers-too-large$/) });
  });

  it('still serves a well-formed request', async () => {
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
  });
});
