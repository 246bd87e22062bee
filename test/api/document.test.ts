import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../api/pagination';
import { jsonRequest, readJson, type Json } from '../support/http';
import { createTenant } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

describe('the OpenAPI document says what the server does', () => {
  let stack: TestStack;
  let doc: Json;
  beforeAll(async () => {
    stack = await startTestStack();
    doc = await readJson(await stack.app.request('/openapi.json'));
  });
  afterAll(() => stack.close());

  const operations = () =>
    Object.entries(doc.paths as Record<string, Record<string, Json>>).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => ({ key: `${m.toUpperCase()} ${path}`, method: m, path, op: item[m] as Json })),
    );

  it('answers an undeclared method on a known path with 405 and Allow, OPTIONS with the same Allow, an unknown path with 404', async () => {
    // fetch's Request refuses TRACE (the fuzz test sends it over the wire); any other method does here.
    const other = await stack.app.request('/api/v1/tenants', { method: 'PROPFIND' });
    expect(other.status).toBe(405);
    expect(other.headers.get('allow')).toBe('GET, HEAD, POST');
    expect(other.headers.get('content-type')).toBe('application/problem+json');

    const put = await stack.app.request(`/api/v1/tenants/${uniqueName('t')}`, jsonRequest({}, {}, 'PUT'));
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');

    const options = await stack.app.request('/api/v1/projects/p', { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('DELETE, GET, HEAD, PATCH');

    expect((await stack.app.request('/healthz', { method: 'HEAD' })).status).toBe(200);
    expect((await stack.app.request('/healthz', { method: 'POST' })).headers.get('allow')).toBe('GET, HEAD');
    expect((await stack.app.request('/api/v1/nothing-here', { method: 'PROPFIND' })).status).toBe(404);
  });

  it('sends a GET of a path with a trailing slash to the path without it, and answers other methods 404 there, never a 405 that allows them', async () => {
    for (const path of ['/swagger/', '/api/v1/tenants/', '/healthz/']) {
      const res = await stack.app.request(`${path}?limit=1`, { headers: { authorization: '' } });
      expect([res.status, res.headers.get('location'), res.headers.get('content-type')], path).toEqual([301, `../${path.split('/').at(-2)}?limit=1`, null]);
      expect(new URL(res.headers.get('location')!, `https://api.example/prefix${path}`).href, path).toBe(`https://api.example/prefix${path.slice(0, -1)}?limit=1`);
    }
    expect((await stack.app.request('/api/v1/nothing-here/')).status).toBe(404);
    expect((await stack.app.request('/api/v1/tenants/', jsonRequest({ name: uniqueName('t') }))).status).toBe(404);
  });

  it('states each pattern as the server applies it: no regex flags in the document', () => {
    const patterns = JSON.stringify(doc).match(/"pattern":"(?:[^"\\]|\\.)*"/g) ?? [];
    expect(patterns.length).toBeGreaterThan(10);
    for (const p of patterns) {
      const source = JSON.parse(p.slice('"pattern":'.length)) as string;
      expect(source, p).not.toMatch(/\/[a-z]+$/);
      expect(() => new RegExp(source, 'u'), p).not.toThrow();
    }
  });

  it('gives every operation the statuses any request can get, each with the problem schema', () => {
    const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
    for (const { key, method, path, op } of operations()) {
      const has = (status: string) => expect(op.responses[status], `${key} documents ${status}`).toMatchObject({ content: problem });
      if (op.parameters?.length || op.requestBody) has('400');
      if (path.startsWith('/api/') && ['post', 'put', 'patch'].includes(method)) {
        has('413');
        has('415');
      }
      if (op.security?.length) {
        has('401');
        has('403');
        has('503');
      }
      expect(op.responses['431'], `${key} documents 431`).toBeDefined();
      if ((op.parameters as { name: string }[] | undefined)?.some((p) => p.name === 'idempotency-key')) has('422');
    }
  });

  it("links what a POST creates to the operations on it, and following a link reaches it (resources are addressed by name, not id)", async () => {
    const tenant = await createTenant(stack);
    const creations: [string, Json][] = [
      ['/api/v1/tenants/{tenant}/upstreams', { name: uniqueName('up'), url: 'http://127.0.0.1:9' }],
      ['/api/v1/tenants/{tenant}/virtual-registries', { name: uniqueName('vr') }],
      ['/api/v1/tenants/{tenant}/pull-tokens', { name: uniqueName('tok') }],
    ];
    for (const [collection, body] of creations) {
      const links = doc.paths[collection].post.responses['201'].links as Record<string, { operationRef: string; parameters: Record<string, string> }>;
      const get = Object.values(links).find((l) => /\{\w+\}\/get$/.test(l.operationRef.replaceAll('~1', '/')));
      expect(get, `${collection}: a link to the GET of what it creates`).toBeDefined();
      const created = await stack.app.request(collection.replace('{tenant}', tenant), jsonRequest(body));
      expect(created.status).toBe(201);
      const answer = await readJson(created);
      // `$request.path.<p>` and `$response.body#/<field>`, as a client following the link evaluates them.
      const values = Object.fromEntries(Object.entries(get!.parameters).map(([name, expr]) => [name.replace(/^path\./, ''), expr.startsWith('$request.path.') ? tenant : answer[expr.replace('$response.body#/', '')]]));
      const target = get!.operationRef.replace(/^#\/paths\//, '').replace(/\/get$/, '').replaceAll('~1', '/').replaceAll('~0', '~');
      const path = target.replace(/\{(\w+)\}/g, (_, p: string) => encodeURIComponent(String(values[p])));
      const followed = await stack.app.request(path);
      expect(followed.status, `${path}: ${await followed.clone().text()}`).toBe(200);
      expect(await readJson(followed)).toMatchObject({ id: answer.id, name: body.name });
    }
  });

  it('documents the registry addresses the server accepts, in queries and bodies', () => {
    for (const { key, op } of operations()) {
      for (const p of (op.parameters ?? []) as Json[]) if (p.name === 'registry') expect(p.schema.enum, key).toEqual([stack.registry]);
    }
    for (const name of ['ProjectCreate', 'ProjectRegister']) expect(doc.components.schemas[name].properties.registry.enum).toEqual([stack.registry]);
  });

  it('documents settings as an object, not null, in requests (null only in the answers)', async () => {
    expect(doc.components.schemas.ProjectSettings.nullable).toBeUndefined();
    expect(doc.components.schemas.Project.properties.settings.nullable).toBe(true);
  });

  it('refuses a well-formed cursor that holds no sort key with 400, not 500', async () => {
    for (const path of ['/api/v1/projects', `/api/v1/projects?sort=-name`]) {
      const res = await stack.app.request(`${path}${path.includes('?') ? '&' : '?'}cursor=${encodeCursor('not json')}`);
      expect(res.status, path).toBe(400);
      expect((await readJson(res)).errors[0].field).toBe('query.cursor');
    }
  });

  it('a PUT reusing the Idempotency-Key of the onboarding registers the project and answers with `imported`', async () => {
    const tenant = uniqueName('idem');
    const name = uniqueName('idem');
    const key = uniqueName('key');
    await createTenant(stack, { name: tenant });
    const body = { name, display_name: name, tenantId: tenant };
    expect((await stack.app.request('/api/v1/projects', jsonRequest(body, { 'idempotency-key': key }))).status).toBe(201);
    const put = await stack.app.request('/api/v1/projects', jsonRequest(body, { 'idempotency-key': key }, 'PUT'));
    expect(put.status).toBe(200);
    expect(await readJson(put)).toMatchObject({ name, imported: { models: 0, images: 0, tags: 0 } });
  });
});
