import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { readJson } from '../support/http';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/** Rules that name versions (policy/pbac.yaml: `evaluator` reads `0.*` only) apply inside a model too. */
describe('version-scoped rules', () => {
  let stack: TestStack, tenant: string, project: string;
  beforeAll(async () => {
    ({ stack, tenant, project } = await startStackWithProject('rules', { receiveWebhooks: true }));
    await pushModel(stack.harbor.emulator.url, `${project}/llm`, '0.1.0', { seed: 'a' });
    await pushModel(stack.harbor.emulator.url, `${project}/llm`, '1.0.0', { seed: 'b' });
    await eventually('both versions of the model in the catalogue', async () => {
      const res = await stack.app.request(`/api/v1/models/${project}/llm`);
      return res.status === 200 && (await readJson(res)).versions.length === 2;
    }, { timeoutMs: 20_000, intervalMs: 200 });
  }, 120_000);
  afterAll(() => stack?.close());

  it('shows an evaluator the 0.x versions only, and hides the others', async () => {
    const evaluator = bearer(await stack.auth.token({ username: 'eval', tenant, role: 'evaluator' }));
    const model = await readJson(await stack.app.request(`/api/v1/models/${project}/llm`, { headers: evaluator }));
    expect(model.versions.map((v: { tag: string }) => v.tag)).toEqual(['0.1.0']);
    expect((await stack.app.request(`/api/v1/models/${project}/llm/versions/0.1.0`, { headers: evaluator })).status).toBe(200);
    expect((await stack.app.request(`/api/v1/models/${project}/llm/versions/1.0.0`, { headers: evaluator })).status).toBe(404);
    const admin = await readJson(await stack.app.request(`/api/v1/models/${project}/llm`));
    expect(admin.versions.map((v: { tag: string }) => v.tag)).toEqual(['0.1.0', '1.0.0']);
  });
});
