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
    expect(problem).toMatchObject({ status: 502, title: 'Operation failed', failedStep: 'create-webhook-policy', notCompensated: [] });
    expect(problem.detail).toContain('Harbor');
    expect(stack.harbor.emulator.state.projects.get(name)).toBeUndefined();
    stack.harbor.emulator.faults.reset();
  });

  it('a project Harbor lost while the catalogue has it: a conflict saying so, not a 404 for a project GET still shows', async () => {
    const { project } = await onboardProject(stack, await createTenant(stack), { name: uniqueName('lost') });
    stack.harbor.emulator.state.projects.delete(project);
    for (const [path, init] of [
      [`/api/v1/projects/${project}`, jsonRequest({ public: true }, {}, 'PATCH')],
      [`/api/v1/projects/${project}/refresh`, { method: 'POST' }],
    ] as const) {
      const res = await stack.app.request(path, init);
      expect(res.status, path).toBe(409);
      expect((await readJson(res)).detail).toContain('gone from Harbor');
    }
    expect((await stack.app.request(`/api/v1/projects/${project}`)).status).toBe(200);
    // Purging converges: what Harbor lost is what purging wants.
    const purged = await stack.app.request(`/api/v1/projects/${project}?purge=true&force=true`, { method: 'DELETE' });
    expect(purged.status).toBe(200);
  });

  it('registration: the Harbor project the caller named vanishing midway is their 404', async () => {
    const name = uniqueName('vanishing');
    await stack.harbor.client.projects.create({ project_name: name });
    stack.harbor.emulator.faults.failNext('updateProject', 404);
    const res = await stack.app.request('/api/v1/projects', jsonRequest({ name, display_name: name, tenantId: await createTenant(stack) }, {}, 'PUT'));
    expect(res.status).toBe(404);
    expect((await readJson(res)).detail).toContain(`has no project "${name}" to register`);
    stack.harbor.emulator.faults.reset();
  });
});
