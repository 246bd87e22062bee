import { Code, ConnectError } from '@connectrpc/connect';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connect, type Database } from '../../db/client';
import { startStackWithTenant } from '../support/fixtures';
import { grpcClients } from '../support/grpc';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';
import { startProxy } from '../support/tcp-proxy';

/**
 * The API (REST and gRPC) reaching Temporal through a proxy this file alone can freeze (a frontend
 * that holds the connection and never answers) or cut (refused): a mutation answers 503 with a
 * problem naming Temporal within its bounded wait, never hangs nor answers 500, reads of the
 * database still answer, and the same request succeeds once Temporal is back.
 */
describe('the API while Temporal does not answer', () => {
  let stack: TestStack;
  let tenant: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let connection: Connection;
  let client: Client;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
    proxy = await startProxy(new URL(`http://${inject('temporalAddress')}`));
    connection = await Connection.connect({ address: `127.0.0.1:${proxy.port}` });
    client = new Client({ connection });
  }, 120_000);
  afterAll(async () => {
    await connection?.close();
    await proxy?.close();
    await stack?.close();
  });

  const createUpstream = (app: ReturnType<TestStack['appWith']>, name: string, key: string) =>
    app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name, url: 'http://127.0.0.1:9' }, { 'idempotency-key': key }));
  /** The same create (same Idempotency-Key) again until it answers 201, as a client retries a 503. */
  const createdOnceBack = (app: ReturnType<TestStack['appWith']>, name: string, key: string, timeoutMs?: number) =>
    eventually(
      `upstream ${name} created once Temporal answers`,
      async () => {
        const res = await createUpstream(app, name, key);
        return res.status === 201 ? res : null;
      },
      { timeoutMs },
    );

  it('answers 503 naming Temporal while it hangs, over REST and gRPC, and the retried request succeeds once it answers', async () => {
    const app = stack.appWith({ client, mutationWaitMs: 2000 });
    const grpc = await stack.grpcWith({ client, mutationWaitMs: 2000 });
    const { upstreams } = grpcClients(stack, stack.auth.adminToken, grpc.address);
    try {
      const name = uniqueName('frozen');
      proxy.freeze();
      const res = await createUpstream(app, name, name);
      expect(res.status, await res.clone().text()).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await readJson(res)).toMatchObject({ type: 'https://model-registry.dev/problems/temporal-unavailable', title: 'Temporal is not answering', status: 503 });

      const rpc = await upstreams.createUpstream({ tenant, name: uniqueName('frozen-rpc'), url: 'http://127.0.0.1:9' }).catch((err: unknown) => err);
      expect(rpc).toBeInstanceOf(ConnectError);
      expect((rpc as ConnectError).code).toBe(Code.Unavailable);
      expect((rpc as ConnectError).rawMessage).toMatch(/workflow service did not answer in time/);

      // Reads of the database need no Temporal.
      expect((await app.request(`/api/v1/tenants/${tenant}/upstreams`)).status).toBe(200);

      proxy.thaw();
      // Created once, whether or not the frozen start reached Temporal.
      expect(await readJson(await createdOnceBack(app, name, name))).toMatchObject({ name, tenant });
    } finally {
      proxy.thaw();
      await grpc.close();
    }
  }, 120_000);

  it('ends a gRPC WatchOperation stream with UNAVAILABLE while Temporal hangs, instead of holding it open', async () => {
    const app = stack.appWith({ client, mutationWaitMs: 20_000 });
    const grpc = await stack.grpcWith({ client });
    const { operations } = grpcClients(stack, stack.auth.adminToken, grpc.address);
    try {
      const name = uniqueName('watched');
      // Retried: right after the previous test's thaw a call may still meet the stream Temporal reset (a 503).
      const created = await createdOnceBack(app, name, name);
      const id = created.headers.get('x-operation-id')!;
      proxy.freeze();
      const watched = await (async () => {
        for await (const op of operations.watchOperation({ id })) return op;
      })().catch((err: unknown) => err);
      expect(watched).toBeInstanceOf(ConnectError);
      expect((watched as ConnectError).code).toBe(Code.Unavailable);
    } finally {
      proxy.thaw();
      await grpc.close();
    }
  }, 120_000);

  it('answers 503 when Temporal refuses connections, not 500, and recovers when it is back', async () => {
    const app = stack.appWith({ client, mutationWaitMs: 2000 });
    const name = uniqueName('refused');
    await proxy.cut();
    try {
      const res = await createUpstream(app, name, name);
      expect(res.status, await res.clone().text()).toBe(503);
      expect(await readJson(res)).toMatchObject({ type: 'https://model-registry.dev/problems/temporal-unavailable', status: 503 });
    } finally {
      await proxy.restore();
    }
    expect(await readJson(await createdOnceBack(app, name, name, 60_000))).toMatchObject({ name, tenant });
  }, 120_000);
});

/**
 * The API reaching PostgreSQL through a proxy this file alone cuts or freezes: requests answer 503
 * naming the database (or, for a query that hangs, the time-out) instead of a 500 or no answer,
 * and answer again once it is back.
 */
describe('the API while PostgreSQL does not answer', () => {
  let stack: TestStack;
  let tenant: string;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let database: Database;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
    const url = new URL(inject('databaseUrl'));
    proxy = await startProxy(url);
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    database = connect(proxied.toString(), { max: 2 });
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await proxy?.close();
    await stack?.close();
  });

  it('answers 503 database-unavailable for a read, a write and a pull, and 200 again once it is back', async () => {
    const app = stack.appWith({ db: database.db, mutationWaitMs: 2000 });
    const list = `/api/v1/tenants/${tenant}/upstreams`;
    expect((await app.request(list)).status).toBe(200);
    await proxy.cut();
    try {
      for (const res of [await app.request(list), await app.request(list, jsonRequest({ name: uniqueName('cut'), url: 'http://127.0.0.1:9' }))]) {
        expect(res.status, await res.clone().text()).toBe(503);
        expect(res.headers.get('retry-after')).toBe('5');
        expect(await readJson(res)).toMatchObject({ type: 'https://model-registry.dev/problems/database-unavailable', title: 'PostgreSQL is not answering', status: 503 });
      }
      // The pull endpoint answers in the OCI distribution spec's error format.
      const pull = await app.request(`/v2/${tenant}/models/acme/llama/manifests/1.0.0`);
      expect(pull.status, await pull.clone().text()).toBe(503);
      expect(pull.headers.get('retry-after')).toBe('5');
      expect(await readJson(pull)).toEqual({ errors: [{ code: 'UNAVAILABLE', message: 'PostgreSQL is not answering; retry later' }] });
    } finally {
      await proxy.restore();
    }
    await eventually('reads answering again', async () => (await app.request(list)).status === 200);
  }, 120_000);

  it('answers 503 request-timeout when PostgreSQL holds a query and never answers, and 200 again once it does', async () => {
    const app = stack.appWith({ db: database.db, mutationWaitMs: 2000 });
    const list = `/api/v1/tenants/${tenant}/upstreams`;
    await eventually('reads answering', async () => (await app.request(list)).status === 200);
    // The pool's connections stay open and take the query; no byte of it reaches the server.
    proxy.freeze();
    try {
      const res = await app.request(list);
      expect(res.status, await res.clone().text()).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await readJson(res)).toMatchObject({ type: 'https://model-registry.dev/problems/request-timeout', status: 503 });
    } finally {
      proxy.thaw();
    }
    await eventually('reads answering again', async () => (await app.request(list)).status === 200);
  }, 120_000);
});
