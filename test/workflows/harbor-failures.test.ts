import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonRequest, readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** Harbor's 404 is Harbor's: the caller hears of an upstream failure, not that their resource does not exist. */
describe("a Harbor 404 is not the caller's 404", () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);
  afterAll(() => stack?.close());

  it('mid-saga: the onboarding fails as an operation (502) and is undone', async () => {
    const [tenant, name] = [await createTenant(stack), uniqueName('saga-404')];
    stack.harbor.emulator.faults.failNext('CreateWebhookPolicyOfProject', 404);
    const res = await stack.app.request('/api/v1/projects', jsonRequest({ name, display_name: 'H', tenantId: tenant }));
    expect(res.status).toBe(502);
    const problem = await readJson(res);
    expect(problem).toMatchObject({ status: 502, title: 'OperationFailed', failedStep: 'create-webhook-policy', notCompensated: [] });
    expect(problem.detail).toContain('Harbor');
    expect(stack.harbor.emulator.state.projects.get(name)).toBeUndefined();
    stack.harbor.emulator.faults.reset();
  });

  it('outside a saga: a project Harbor lost answers 502 HarborNotFound, not 404', async () => {
    const { project } = await onboardProject(stack, await createTenant(stack), { name: uniqueName('lost') });
    stack.harbor.emulator.state.projects.delete(project);
    const res = await stack.app.request(`/api/v1/projects/${project}`, jsonRequest({ public: true }, {}, 'PATCH'));
    expect(res.status).toBe(502);
    expect(await readJson(res)).toMatchObject({ status: 502, title: 'HarborNotFound', harborStatus: 404 });
  });
});
