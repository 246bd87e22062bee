import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { harborProjectEventWorkflowId } from '../../lib/workflow-ids';
import { pushModel } from '../harbor/oci-push';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

/** `GET /projects/{name}` answers from the catalogue row; Harbor's figures are written by the workflows that talk to Harbor. */
describe('project reads from the read model', () => {
  let stack: TestStack, tenant: string;
  beforeAll(async () => { ({ stack, tenant } = await startStackWithTenant()); });
  afterAll(() => stack.close());

  const onboard = async (extra: Record<string, unknown> = {}) => (await onboardProject(stack, tenant, { name: uniqueName('rm'), ...extra })).project;
  const read = async (name: string) => {
    const res = await stack.app.request(`/api/v1/projects/${name}`);
    expect(res.status).toBe(200);
    return readJson(res);
  };
  const workflowsOf = async (project: string) => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}" AND ProjectName = "${project}"` })) ids.push(`${wf.type} ${wf.workflowId}`);
    return ids.sort();
  };

  it('starts no workflow for a read', async () => {
    const name = await onboard();
    await eventually('the onboarding in the visibility store', async () => (await workflowsOf(name)).length === 1);
    const before = await workflowsOf(name);
    for (let i = 0; i < 3; i++) await read(name);
    await expect(stack.client.workflow.getHandle(`project-summary:${stack.registry}/${name}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await workflowsOf(name)).toEqual(before);
  });

  it("shows Harbor's figures as onboarding recorded them, and new ones after a push and a refresh", async () => {
    const name = await onboard({ storage_limit: 1024 ** 3 });
    const initial = (await read(name)).harbor;
    expect(initial).toEqual({ repoCount: 0, quotaHard: 1024 ** 3, quotaUsed: 0, refreshedAt: expect.any(String) });

    await pushModel(stack.harbor.emulator.url, `${name}/llama`, '1.0.0');
    // Webhooks of this stack go elsewhere: until a workflow asks Harbor again, the row is unchanged.
    expect((await read(name)).harbor).toEqual(initial);

    expect((await stack.app.request(`/api/v1/projects/${name}/refresh`, { method: 'POST' })).status).toBe(200);
    const refreshed = (await read(name)).harbor;
    expect(refreshed).toMatchObject({ repoCount: 1, quotaHard: 1024 ** 3, quotaUsed: expect.any(Number) });
    expect(refreshed.quotaUsed).toBeGreaterThan(0);
    expect(Date.parse(refreshed.refreshedAt)).toBeGreaterThanOrEqual(Date.parse(initial.refreshedAt));
  });

  it("takes Harbor's figures afresh on a quota webhook", async () => {
    const name = await onboard({ storage_limit: 1024 ** 3 });
    await pushModel(stack.harbor.emulator.url, `${name}/bert`, '0.1.0');
    expect((await read(name)).harbor).toMatchObject({ repoCount: 0, quotaUsed: 0 });

    const [secretRow] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${name}`;
    const authorization = `Bearer ${stack.deps.secrets.open(secretRow!.webhook_secret as string)}`;
    const warning = {
      type: 'QUOTA_WARNING',
      occur_at: 1_800_000_200,
      operator: 'admin',
      event_data: { repository: { name: 'bert', namespace: name, repo_full_name: `${name}/bert` }, custom_attributes: { Details: 'quota usage reach 85%' } },
    };
    const delivery = await readJson(await stack.app.request('/api/v1/webhooks/harbor', jsonRequest(warning, { authorization })));
    expect(delivery).toMatchObject({ status: 'queued' });
    await eventually('the quota event workflow completed', () =>
      stack.client.workflow.getHandle(harborProjectEventWorkflowId(delivery.id)).describe().then((d) => d.status.name === 'COMPLETED'),
    );
    const after = (await read(name)).harbor;
    expect(after).toMatchObject({ repoCount: 1, quotaHard: 1024 ** 3 });
    expect(after.quotaUsed).toBeGreaterThan(0);
  });
});
