import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * A TCP proxy in front of one of the run's servers (PostgreSQL, Temporal) that a test file alone can
 * cut (connections dropped, new ones refused) or freeze (connections and new ones held open, no byte
 * passed: a server that hangs), without stopping the server the other test files share.
 */
export async function startProxy(target: URL): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; freeze(): void; thaw(): void; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let frozen = false;
  const join = ([client, upstream]: [Socket, Socket]) => client.pipe(upstream).pipe(client);
  const part = ([client, upstream]: [Socket, Socket]) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    for (const s of pair) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    if (frozen) part(pair);
    else join(pair);
    client.on('close', () => {
      pairs.delete(pair);
      upstream.destroy();
    });
    upstream.on('close', () => client.destroy());
  });
  const listen = (port: number) => new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () => new Promise<void>((resolve) => {
    server.close(() => resolve());
    for (const s of sockets) s.destroy();
  });
  await listen(0);
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    cut: stop,
    restore: () => listen(port),
    freeze() {
      frozen = true;
      for (const pair of pairs) part(pair);
    },
    thaw() {
      frozen = false;
      for (const pair of pairs) join(pair);
    },
    close: () => (server.listening ? stop() : Promise.resolve()),
  };
}
