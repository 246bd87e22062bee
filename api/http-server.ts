import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { serve } from '@hono/node-server';
import { problemBody } from './problem';

const REFUSALS: Record<string, [number, string, string, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'Request Header Fields Too Large', 'headers-too-large', 'the request line and headers are larger than the server takes (16 KiB)'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'Request Timeout', 'request-not-received', 'the whole request did not arrive in time'],
};
const MALFORMED: [number, string, string, string] = [400, 'Bad Request', 'malformed-request', 'the request is not valid HTTP/1.1 (for example a control character in a header)'];

/**
 * Requests Node's HTTP parser refuses before any route sees them: the same problem+json as the
 * routes' 4xx rather than Node's bare status line. There is no response object here, so the answer
 * is written to the socket (as Node's `clientError` documentation says).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex & { _httpMessage?: { headersSent?: boolean } }) => {
    // As Node's own handler: a response already under way (a pipelined request after it) is not written into.
    if (err.code === 'ECONNRESET' || !socket.writable || socket._httpMessage?.headersSent) {
      socket.destroy();
      return;
    }
    const [status, reason, slug, detail] = REFUSALS[err.code ?? ''] ?? MALFORMED;
    const body = JSON.stringify(problemBody(status, slug, reason, detail));
    // Closed once written: the server allows half-open sockets, and a client that sends nothing more would keep it.
    socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/problem+json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`, () => socket.destroy());
  });
}

/** The API's HTTP server (api/server.ts and the local stack alike): the app, and the parser's refusals as problems. */
export function serveApi(fetch: Parameters<typeof serve>[0]['fetch'], opts: { port: number; hostname: string }, listening?: (port: number) => void): Server {
  const server = serve({ fetch, ...opts }, (info) => listening?.(info.port)) as Server;
  answerClientErrors(server);
  return server;
}
