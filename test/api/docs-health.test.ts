import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { connect } from '../../db/client';
import { logger } from '../../composition/logger';
import { readJson } from '../support/http';
import { startTestStack, type TestStack } from '../support/stack';

describe('docs and health', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(() => stack.close());

  it('serves the OpenAPI 3 document generated from the routes, and Swagger UI', async () => {
    const doc = await readJson(await stack.app.request('/openapi.json'));
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/tenants', '/api/v1/tenants/{name}', '/api/v1/operations/{id}']));
    expect(doc.paths['/api/v1/tenants'].post.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/TenantCreate');
    const ui = await stack.app.request('/swagger');
    expect(ui.status).toBe(200);
    expect(ui.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
  });

  it('serves Swagger UI and its assets itself: no URL of another host on the page', async () => {
    const page = await (await stack.app.request('/swagger')).text();
    expect(page).not.toMatch(/https?:\/\//);
    // Nothing in the document that Swagger UI would fetch: no external $ref, no server elsewhere.
    const doc = await readJson(await stack.app.request('/openapi.json'));
    expect(JSON.stringify(doc)).not.toMatch(/"\$ref":"(?!#)/);
    expect(doc.servers).toBeUndefined();
    const assets = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toEqual(expect.arrayContaining(['/swagger/assets/swagger-ui-bundle.js', '/swagger/assets/swagger-ui.css', '/swagger/assets/swagger-initializer.js']));
    const types = { js: 'text/javascript', css: 'text/css', png: 'image/png' };
    for (const path of assets) {
      const res = await stack.app.request(path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(types[path.split('.').pop() as keyof typeof types]);
      expect(res.headers.get('cache-control'), path).toMatch(/max-age=\d+/);
      const again = await stack.app.request(path, { headers: { 'if-none-match': res.headers.get('etag')! } });
      expect(again.status, path).toBe(304);
    }
    expect(await (await stack.app.request('/swagger/assets/swagger-initializer.js')).text()).toContain('"url":"/openapi.json"');
    expect((await stack.app.request('/swagger/assets/package.json')).status).toBe(404);
  });

  it('healthz answers; readyz checks the database and Temporal', async () => {
    expect((await stack.app.request('/healthz')).status).toBe(200);
    const ready = await stack.app.request('/readyz');
    expect(ready.status).toBe(200);
    expect(await readJson(ready)).toEqual({ status: 'ok', checks: { database: 'ok', temporal: 'ok' } });
  });

  it('readyz names the database when it is unreachable', async () => {
    const deadDb = connect('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    const app = createApp({ db: deadDb.db, client: stack.client, taskQueue: 'unused', mutationWaitMs: 0, bodyLimitBytes: 1024, logger: logger.child({}, { level: 'silent' }), registries: [stack.registry], secrets: stack.deps.secrets, auth: stack.auth.deps });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    const body = await readJson(res);
    expect(body.checks.database).toMatch(/^down/);
    expect(body.checks.temporal).toBe('ok');
    await deadDb.close();
  });

  it('readyz names Temporal when it is unreachable', async () => {
    const connection = await Connection.connect({ address: '127.0.0.1:1', connectTimeout: 500 }).catch((err: unknown) => err);
    // A connection to a closed port fails at connect time; a lazy client shows the same in readyz.
    expect(connection).toBeInstanceOf(Error);
    const lazy = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1', connectTimeout: 500 }) });
    const app = createApp({ db: stack.database.db, client: lazy, taskQueue: 'unused', mutationWaitMs: 0, bodyLimitBytes: 1024, logger: logger.child({}, { level: 'silent' }), registries: [stack.registry], secrets: stack.deps.secrets, auth: stack.auth.deps });
    const res = await app.request('/readyz');
    expect(res.status).toBe(503);
    const body = await readJson(res);
    expect(body.checks).toMatchObject({ database: 'ok' });
    expect(body.checks.temporal).toMatch(/^down/);
  });
});
