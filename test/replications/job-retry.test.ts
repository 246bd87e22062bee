import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { registrySyncWorkflowId } from '../../lib/workflow-ids';
import { bearer } from '../support/auth';
import { pushModel } from '../harbor/oci-push';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject, pauseRuleSyncSchedule } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { approve, createRemote, promote, pushVersion, servedDigest, versionDetail } from '../promotion/support';

/**
 * Harbor's job service runs a failed replication job again, and the execution goes back from
 * Failed to InProgress meanwhile: neither a rule's execution nor a promotion may take the first
 * Failed for the end. Every blob upload breaks until the test lifts the fault, after it has seen
 * the execution Failed; the job's next run then copies.
 */
describe("an execution Harbor's job service retries after it failed", () => {
  let stack: TestStack;
  let remoteRegistry: OciRegistry;
  let tenant: string;
  let project: string;
  let remote: string;
  const statusOf = async (purpose: string) =>
    (await stack.database.sql<{ status: string; harbor_execution_id: number }[]>`
      select e.status, e.harbor_execution_id from modelregistry.replication_executions e join modelregistry.projects p on p.id = e.project_id
      where p.name = ${project} and e.purpose = ${purpose} order by e.created_at desc limit 1`)[0];

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, harborReplication: { blobRetries: 1, jobRetryDelaysMs: [3_000, 3_000, 3_000] } });
    remoteRegistry = await startOciRegistry();
    tenant = await createTenant(stack);
    ({ project } = await onboardProject(stack, tenant, { name: uniqueName('retry') }));
    remote = await createRemote(stack, tenant, uniqueName('dr'), remoteRegistry.url);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await remoteRegistry?.stop();
  });

  it("a rule's execution is followed past Failed to Succeed, announced for each, and its location ends present", async () => {
    const model = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    expect((await stack.app.request(`/api/v1/models/${project}/llama`, { method: 'POST' })).status).toBe(200);
    await eventually('the version catalogued', async () => (await stack.app.request(`/api/v1/models/${project}/llama/versions/1.0.0`)).status === 200);
    expect((await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'to-dr', direction: 'push', registry: remote }))).status).toBe(201);

    stack.harbor.emulator.faults.failReplicationBlobAfter(0);
    const started = await readJson(await stack.app.request(`/api/v1/projects/${project}/replications/to-dr/executions`, { method: 'POST' }));
    await eventually('the execution seen Failed', async () => (await statusOf('rule'))?.status === 'Failed');
    stack.harbor.emulator.faults.reset();
    const done = await eventually('the execution Succeed after the job ran again', async () => {
      const e = await readJson(await stack.app.request(`/api/v1/projects/${project}/replications/to-dr/executions/${started.id}`));
      return e.status === 'Succeed' && e;
    });
    expect(done.counts).toMatchObject({ total: 1, succeed: 1, failed: 0 });
    expect(await servedDigest(remoteRegistry.url, `${project}/llama`, '1.0.0')).toBe(model.digest);
    const located = await eventually('the location present', async () => {
      const [l] = (await versionDetail(stack, project, 'llama', '1.0.0')).locations;
      return l?.status === 'present' && l;
    });
    expect(located).toMatchObject({ digest: model.digest, harborExecutionId: started.harborExecutionId });

    const subject = `replication-executions/${stack.registry}/${started.harborExecutionId}`;
    const finished = (records: { value: string }[]) => records.map((r) => JSON.parse(r.value)).filter((e) => e.type === 'modelregistry.replication_execution.finished' && e.subject === subject);
    const events = finished(await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'Failed and Succeed announced', until: (records) => finished(records).some((e) => e.data.execution.status === 'Succeed') }));
    expect(events.map((e) => e.data.execution.status)).toEqual(['Failed', 'Succeed']);
  });

  it("a sync waits past a Failed run of its rule's own policy that Harbor retries, rather than pull beside it", async () => {
    const version = await pushModel(remoteRegistry.url, 'team/gpt', '1.0.0');
    const created = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'from-dr', direction: 'pull', registry: remote, remoteNamespace: 'team', filters: { name: 'gpt' } }));
    expect(created.status, await created.clone().text()).toBe(201);
    await pauseRuleSyncSchedule(stack, project, 'from-dr');
    stack.harbor.emulator.faults.failReplicationBlobAfter(0);
    const run = await readJson(await stack.app.request(`/api/v1/projects/${project}/replications/from-dr/executions`, { method: 'POST' }));
    await eventually("the rule's run seen Failed", () => stack.harbor.emulator.state.replicationExecutions.get(run.harborExecutionId)?.status === 'Failed');
    const executions = stack.harbor.emulator.state.replicationExecutions.size;
    // The fault is lifted only once the sync has seen the run Failed: its first look at the rule's runs, in its history.
    const synced = stack.app.request(`/api/v1/projects/${project}/replications/from-dr/sync`, { method: 'POST' });
    await eventually("the sync's look at the rule's runs", async () => {
      const history = await stack.client.workflow.getHandle(registrySyncWorkflowId(stack.registry, project, 'from-dr')).fetchHistory().catch(() => undefined);
      const looks = new Set(history?.events?.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'listHarborReplicationExecutions').map((e) => String(e.eventId)));
      return history?.events?.some((e) => looks.has(String(e.activityTaskCompletedEventAttributes?.scheduledEventId))) ?? false;
    });
    stack.harbor.emulator.faults.reset();
    const res = await synced;
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ pulled: [], harborExecutionId: null });
    expect(body.skipped).toContainEqual({ model: 'gpt', tag: '1.0.0', digest: version.digest });
    expect(stack.harbor.emulator.state.replicationExecutions.get(run.harborExecutionId)?.status).toBe('Succeed');
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(executions);
  });

  it('a promotion waits past Failed for the retried job and completes once', async () => {
    const v = await pushVersion(stack, project, 'bert', { passing: true, signed: true });
    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    expect((await approve(stack, project, 'bert', v.tag, maintainer)).status).toBe(200);

    stack.harbor.emulator.faults.failReplicationBlobAfter(0);
    const promoted = promote(stack, project, 'bert', v.tag, { registry: remote, namespace: 'released' });
    await eventually("the promotion's execution seen Failed", async () => (await statusOf('promotion'))?.status === 'Failed');
    stack.harbor.emulator.faults.reset();
    const res = await promoted;
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ copied: true, status: 'present', digest: v.digest });
    expect(await servedDigest(remoteRegistry.url, `released/bert`, v.tag)).toBe(v.digest);
    expect((await statusOf('promotion'))?.status).toBe('Succeed');
  });
});
