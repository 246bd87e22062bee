import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { tenantWorkflowId } from '../../lib/workflow-ids';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';


describe('tenants over HTTP, on real Temporal and PostgreSQL', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('creates a tenant (201), and a second POST updates it and answers 409 with the current tenant', async () => {
    const name = uniqueName('acme');
    const first = await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Acme', url: 'https://acme.example' }));
    expect(first.status).toBe(201);
    const created = await readJson(first);
    expect(created).toMatchObject({ name, companyName: 'Acme', url: 'https://acme.example' });
    expect(first.headers.get('x-operation-id')).toBeTruthy();

    const second = await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Acme Corp', url: 'https://acme.example/new' }));
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    const conflict = await readJson(second);
    expect(conflict.tenant).toMatchObject({ id: created.id, name, companyName: 'Acme Corp', url: 'https://acme.example/new' });

    const read = await stack.app.request(`/api/v1/tenants/${name}`);
    expect(read.status).toBe(200);
    expect(await readJson(read)).toMatchObject({ id: created.id, companyName: 'Acme Corp' });

    // Announced: created, then updated; the same body again changes nothing and announces nothing.
    expect((await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Acme Corp', url: 'https://acme.example/new' }))).status).toBe(409);
    const mine = (records: ConsumedRecord[]) => records.filter((r) => r.key === `tenants/${name}`).map((r) => JSON.parse(r.value));
    const events = mine(await readTopic(inject('kafkaBootstrap'), stack.topic, { what: "the tenant's events", until: (records) => mine(records).length >= 2, never: { what: 'a third event', check: (records) => mine(records).length > 2 && mine(records), forMs: 1000 } }));
    expect(events.map((e) => [e.type, e.data.companyName])).toEqual([['modelregistry.tenant.created', 'Acme'], ['modelregistry.tenant.updated', 'Acme Corp']]);
  });

  it('ran the write as a workflow with a business-key id and search attributes', async () => {
    const name = uniqueName('wf');
    const res = await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Wf', url: 'https://wf.example' }));
    expect(res.status).toBe(201);
    const description = await stack.client.workflow.getHandle(tenantWorkflowId(name)).describe();
    expect(description.type).toBe('tenantUpsertWorkflow');
    expect(description.status.name).toBe('COMPLETED');
    expect(description.taskQueue).toBe(stack.taskQueue);
    const attributes = description.typedSearchAttributes;
    expect(attributes.getAll().map((p) => [p.key.name, p.value])).toEqual(
      expect.arrayContaining([
        ['TenantName', name],
        ['OperationKind', 'tenant.upsert'],
      ]),
    );
  });

  it('lists tenants with cursor pagination and a name prefix', async () => {
    const prefix = uniqueName('page');
    for (const i of [1, 2, 3]) {
      const res = await stack.app.request('/api/v1/tenants', jsonRequest({ name: `${prefix}-${i}`, companyName: `C${i}`, url: 'https://c.example' }));
      expect(res.status).toBe(201);
    }
    const page1 = await readJson(await stack.app.request(`/api/v1/tenants?namePrefix=${prefix}&limit=2`));
    expect(page1.items.map((t: { name: string }) => t.name)).toEqual([`${prefix}-1`, `${prefix}-2`]);
    expect(page1.nextCursor).toBeTruthy();
    const page2 = await readJson(await stack.app.request(`/api/v1/tenants?namePrefix=${prefix}&limit=2&cursor=${page1.nextCursor}`));
    expect(page2.items.map((t: { name: string }) => t.name)).toEqual([`${prefix}-3`]);
    expect(page2.nextCursor).toBeNull();
  });

  it('answers 202 with Location when the workflow outlasts the wait, and the operation reports the result', async () => {
    const name = uniqueName('slow');
    const impatient = stack.appWith({ mutationWaitMs: 0 });
    const res = await impatient.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Slow', url: 'https://slow.example' }));
    expect(res.status).toBe(202);
    const location = res.headers.get('location');
    expect(location).toMatch(/^\/api\/v1\/operations\/[A-Za-z0-9_-]+$/);
    expect((await readJson(res)).status).toBe('running');

    const operation: { status: string; result?: { created: boolean; tenant: { name: string } } } = await eventually('the operation to finish', async () => {
      const op = await readJson(await stack.app.request(location!));
      return op.status !== 'running' && op;
    }, { timeoutMs: 10_000 });
    expect(operation.status).toBe('completed');
    expect(operation.result).toMatchObject({ created: true, tenant: { name } });
  });

  it('joins the first run for a retried request with the same Idempotency-Key', async () => {
    const name = uniqueName('idem');
    const body = { name, companyName: 'Idem', url: 'https://idem.example' };
    const key = { 'idempotency-key': `key-${name}` };
    const [a, b] = await Promise.all([stack.app.request('/api/v1/tenants', jsonRequest(body, key)), stack.app.request('/api/v1/tenants', jsonRequest(body, key))]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.headers.get('x-operation-id')).toBe(b.headers.get('x-operation-id'));
    // Later, the same key still answers with the first outcome instead of a 409 from a new run.
    const retry = await stack.app.request('/api/v1/tenants', jsonRequest(body, key));
    expect(retry.status).toBe(201);
    expect(retry.headers.get('x-operation-id')).toBe(a.headers.get('x-operation-id'));
    // The key with another body is no retry: 422 naming the header, not the first request's answer.
    const reused = await stack.app.request('/api/v1/tenants', jsonRequest({ ...body, companyName: 'Other' }, key));
    expect(reused.status).toBe(422);
    expect(reused.headers.get('content-type')).toBe('application/problem+json');
    expect(await readJson(reused)).toMatchObject({ type: 'https://model-registry.dev/problems/idempotency-key-reused', errors: [{ field: 'header.idempotency-key' }] });
    // Without the key, it is a new request: the tenant exists, so 409.
    expect((await stack.app.request('/api/v1/tenants', jsonRequest(body))).status).toBe(409);
  });

  it('refuses a different change while one is running for the same tenant, and joins an identical one', async () => {
    const name = uniqueName('busy');
    // No worker polls this queue, so the first run stays running.
    const stalled = stack.appWith({ mutationWaitMs: 0, taskQueue: uniqueName('nobody') });
    const first = await stalled.request('/api/v1/tenants', jsonRequest({ name, companyName: 'One', url: 'https://one.example' }));
    expect(first.status).toBe(202);
    const same = await stalled.request('/api/v1/tenants', jsonRequest({ name, companyName: 'One', url: 'https://one.example' }));
    expect(same.status).toBe(202);
    expect(same.headers.get('location')).toBe(first.headers.get('location'));
    const other = await stalled.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Two', url: 'https://two.example' }));
    expect(other.status).toBe(409);
    const problem = await readJson(other);
    expect(problem.type).toMatch(/operation-in-progress$/);
    expect(problem.operation).toBe(first.headers.get('location'));
    await stack.client.workflow.getHandle(tenantWorkflowId(name)).terminate('test cleanup');
    const operation = await readJson(await stack.app.request(first.headers.get('location')!));
    expect(operation.status).toBe('terminated');
  });

  describe('bad input gets a clear 4xx problem, never a 500', () => {
    const post = (init: RequestInit) => stack.app.request('/api/v1/tenants', init);

    it.each([
      ['uppercase name', { name: 'Acme', companyName: 'A', url: 'https://a.example' }, 'body.name'],
      ['name starting with a dash', { name: '-acme', companyName: 'A', url: 'https://a.example' }, 'body.name'],
      ['name with a slash', { name: 'ac/me', companyName: 'A', url: 'https://a.example' }, 'body.name'],
      ['name too long', { name: 'a'.repeat(256), companyName: 'A', url: 'https://a.example' }, 'body.name'],
      ['missing companyName', { name: 'acme-x', url: 'https://a.example' }, 'body.companyName'],
      ['url not a URL', { name: 'acme-x', companyName: 'A', url: 'not a url' }, 'body.url'],
      ['unknown field', { name: 'acme-x', companyName: 'A', url: 'https://a.example', admin: true }, 'body'],
    ])('%s → 400 naming %s', async (_, body, field) => {
      const res = await post(jsonRequest(body));
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const problem = await readJson(res);
      expect(problem.status).toBe(400);
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field);
    });

    it('malformed JSON → 400', async () => {
      const res = await post({ method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":' });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await readJson(res)).toMatchObject({ title: 'Malformed JSON in request body', errors: [{ field: 'body', code: 'invalid_json' }] });
    });

    it('wrong content type → 415', async () => {
      const res = await post({ method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'name=acme' });
      expect(res.status).toBe(415);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    });

    it('oversize body → 413', async () => {
      const res = await post(jsonRequest({ name: 'big', companyName: 'x'.repeat(100 * 1024), url: 'https://a.example' }));
      expect(res.status).toBe(413);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    });

    it('invalid paging → 400 naming the query field', async () => {
      const res = await stack.app.request('/api/v1/tenants?limit=0');
      expect(res.status).toBe(400);
      expect((await readJson(res)).errors[0].field).toBe('query.limit');
      // Not base64url, and base64url of NULs (which reached PostgreSQL and answered 500).
      for (const cursor of ['%25%25', 'AAAA']) {
        const badCursor = await stack.app.request(`/api/v1/tenants?cursor=${cursor}`);
        expect(badCursor.status, cursor).toBe(400);
        expect((await readJson(badCursor)).errors[0].field).toBe('query.cursor');
      }
    });

    it('unknown tenant, operation and route → 404 problem', async () => {
      // eAB5Cno: "x\0y\nz", a run id Temporal refuses (it answered 500).
      for (const path of ['/api/v1/tenants/nope-nope', '/api/v1/operations/bm9wZQ', '/api/v1/operations/%%', '/api/v1/operations/eAB5Cno', '/api/v1/nothing']) {
        const res = await stack.app.request(path);
        expect(res.status, path).toBe(404);
        expect(res.headers.get('content-type'), path).toBe('application/problem+json');
      }
    });
  });
});
