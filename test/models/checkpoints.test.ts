import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { jsonRequest, readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

describe('checkpoints of a model version', () => {
  let stack: TestStack;
  const tenant = uniqueName('ckpt');
  const project = uniqueName('ckpt');
  const base = () => `/api/v1/models/${project}/llama/versions/1.0.0/checkpoints`;

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true });
    await createTenant(stack, { name: tenant });
    await onboardProject(stack, tenant, { name: project });
    await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBe(200);
  }, 120_000);
  afterAll(() => stack?.close());

  it('records, lists, reads, changes and archives checkpoints through workflows', async () => {
    const created = await stack.app.request(base(), jsonRequest({ name: 'step-1000', uri: 's3://ckpts/llama/step-1000/', format: 'safetensors', framework: 'pytorch', step: 1000, epoch: 1, metrics: { loss: 1.25 } }));
    expect(created.status).toBe(201);
    expect(await readJson(created)).toMatchObject({ name: 'step-1000', tag: '1.0.0', uri: 's3://ckpts/llama/step-1000/', step: 1000, metrics: { loss: 1.25 } });
    expect((await stack.app.request(base(), jsonRequest({ name: 'step-2000', uri: 'asset://checkpoints/42' }))).status).toBe(201);

    const page = await readJson(await stack.app.request(`${base()}?limit=1`));
    expect(page.items.map((c: { name: string }) => c.name)).toEqual(['step-1000']);
    const next = await readJson(await stack.app.request(`${base()}?limit=1&cursor=${page.nextCursor}`));
    expect(next).toMatchObject({ items: [{ name: 'step-2000' }], nextCursor: null });

    const changed = await stack.app.request(`${base()}/step-1000`, jsonRequest({ metrics: { loss: 0.98, accuracy: 0.9 } }, {}, 'PATCH'));
    expect(changed.status).toBe(200);
    expect((await readJson(await stack.app.request(`${base()}/step-1000`))).metrics).toEqual({ loss: 0.98, accuracy: 0.9 });

    const removed = await stack.app.request(`${base()}/step-2000`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await stack.app.request(`${base()}/step-2000`)).status).toBe(404);
    // The name is free again once archived.
    expect((await stack.app.request(base(), jsonRequest({ name: 'step-2000', uri: 'https://example.com/ckpt.bin' }))).status).toBe(201);
  });

  it('refuses duplicates, bad input naming the field, and unknown versions', async () => {
    expect((await stack.app.request(base(), jsonRequest({ name: 'step-1000', uri: 's3://other/' }))).status).toBe(409);
    const bad = await stack.app.request(base(), jsonRequest({ name: 'x', uri: 'ftp://nope', step: -1 }));
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.step', 'body.uri']);
    expect((await stack.app.request(`${base()}/step-1000`, jsonRequest({}, {}, 'PATCH'))).status).toBe(400);
    expect((await stack.app.request(`/api/v1/models/${project}/llama/versions/9.9.9/checkpoints`, jsonRequest({ name: 'a', uri: 's3://a/' }))).status).toBe(404);
    expect((await stack.app.request(`/api/v1/models/${project}/llama/versions/9.9.9/checkpoints`)).status).toBe(404);
    expect((await stack.app.request(`${base()}/ghost`, jsonRequest({ step: 1 }, {}, 'PATCH'))).status).toBe(404);
  });

  it('lets guests read and not write (checkpoints.write)', async () => {
    const guest = bearer(await stack.auth.token({ username: 'g', tenant, role: 'guest' }));
    expect((await stack.app.request(base(), { headers: guest })).status).toBe(200);
    const denied = await stack.app.request(base(), jsonRequest({ name: 'g', uri: 's3://g/' }, guest));
    expect(denied.status).toBe(403);
    expect((await readJson(denied)).action).toBe('checkpoints.write');
  });
});
