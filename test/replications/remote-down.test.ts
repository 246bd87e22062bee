import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushModel } from '../harbor/oci-push';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { servedDigest, versionDetail } from '../promotion/support';

/**
 * The remote registry goes down during a rule's execution: the failure shows in the execution
 * the API reports (status, counts, the failed task), and a run once it is back copies the model.
 * Harbor's job service would retry the failed task after 16 s and 31 s; off here, so the run ends.
 */
describe('a rule run while the remote registry is down', () => {
  let stack: TestStack;
  let remote: OciRegistry;
  let project: string;
  let remoteName: string;

  beforeAll(async () => {
    stack = await startTestStack({ harborReplication: { jobRetryDelaysMs: [] } });
    remote = await startOciRegistry();
    const tenant = await createTenant(stack);
    ({ project } = await onboardProject(stack, tenant));
    remoteName = uniqueName('dr');
    const made = await stack.app.request('/api/v1/registries', jsonRequest({ name: remoteName, tenant, type: 'docker-registry', url: remote.url }));
    expect(made.status, await made.clone().text()).toBe(201);
    const rule = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'to-dr', direction: 'push', registry: (await readJson(made)).name }));
    expect(rule.status, await rule.clone().text()).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await remote?.stop();
  });

  it('reports the failed execution and the failed location, and a rerun after the remote is back succeeds and records it present', async () => {
    const model = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    expect((await stack.app.request(`/api/v1/models/${project}/llama`, { method: 'POST' })).status).toBe(200);
    await eventually('the version catalogued', async () => (await stack.app.request(`/api/v1/models/${project}/llama/versions/1.0.0`)).status === 200);
    const locationOf = async () => (await versionDetail(stack, project, 'llama', '1.0.0')).locations;
    const port = Number(new URL(remote.url).port);
    await remote.stop();

    const executions = `/api/v1/projects/${project}/replications/to-dr/executions`;
    const first = await readJson(await stack.app.request(executions, { method: 'POST' }));
    const failed = await eventually('the execution failed', async () => {
      const e = await readJson(await stack.app.request(`${executions}/${first.id}`));
      return e.status !== 'InProgress' && e;
    });
    expect(failed).toMatchObject({ status: 'Failed', counts: { total: 1, failed: 1, succeed: 0 } });
    expect(failed.tasks).toEqual([expect.objectContaining({ status: 'Failed' })]);
    // The run's own record of where the version stands: failed there, with why.
    const failedAt = await eventually('the failed location', async () => {
      const [l] = await locationOf();
      return l?.status === 'failed' && l;
    });
    expect(failedAt).toMatchObject({ remoteRegistry: remoteName, remoteRepository: `${project}/llama`, digest: null, detail: expect.stringContaining('Failed') });

    remote = await startOciRegistry({ port });
    const second = await readJson(await stack.app.request(executions, { method: 'POST' }));
    expect(second.id).not.toBe(first.id);
    const succeeded = await eventually('the rerun succeeded', async () => {
      const e = await readJson(await stack.app.request(`${executions}/${second.id}`));
      return e.status !== 'InProgress' && e;
    });
    expect(succeeded).toMatchObject({ status: 'Succeed', counts: { total: 1, succeed: 1, failed: 0 } });
    expect(await servedDigest(remote.url, `${project}/llama`, '1.0.0')).toBe(model.digest);
    const presentAt = await eventually('the location present', async () => {
      const l = await locationOf();
      return l.length === 1 && l[0].status === 'present' && l[0];
    });
    const [row] = await stack.database.sql`select harbor_execution_id from modelregistry.replication_executions where id = ${second.id}`;
    expect(presentAt).toMatchObject({ remoteRegistry: remoteName, remoteRepository: `${project}/llama`, digest: model.digest, harborExecutionId: row!.harbor_execution_id });
    const listed = await readJson(await stack.app.request(`/api/v1/registries/${remoteName}/models`));
    expect(listed.items).toEqual([expect.objectContaining({ project, model: 'llama', tag: '1.0.0', digest: model.digest, status: 'present' })]);
    // Both runs are listed, newest first.
    expect((await readJson(await stack.app.request(executions))).items.map((e: { id: string }) => e.id)).toEqual([second.id, first.id]);
  });
});
