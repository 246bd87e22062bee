import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { HarborSchemas } from '../../activities/harbor';
import { ensureSchedules, REPLICATION_POLLER_SCHEDULE_ID } from '../../composition/schedules';
import { replicationExecutionWorkflowId } from '../../lib/workflow-ids';
import { pushModel, type ModelArtifact } from '../harbor/oci-push';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { pauseRuleSyncSchedule, startStackWithProject } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('replication executions', () => {
  let stack: TestStack;
  let tenant: string;
  let project: string;
  let projectId: string;
  let rule: { id: string; harborPolicyId: number };
  const remote = uniqueName('dr');
  /** The remote registry rules push to: a second real OCI registry. */
  let dr: OciRegistry;
  let model: ModelArtifact;
  const base = () => `/api/v1/projects/${project}/replications/to-dr`;
  const harborExecution = (id: number) => stack.harbor.emulator.state.replicationExecutions.get(id);
  const rowOf = async (harborExecutionId: number) =>
    (await stack.database.sql`select * from modelregistry.replication_executions where harbor_instance = ${stack.registry} and harbor_execution_id = ${harborExecutionId}`)[0];

  /** An execution as one of Harbor's own triggers starts it, still running. */
  const harborStarts = (overrides: Partial<HarborSchemas['ReplicationExecution']> = {}) => {
    const id = stack.harbor.emulator.state.nextId();
    stack.harbor.emulator.state.replicationExecutions.set(id, {
      id, operator: 'admin', policy_id: rule.harborPolicyId, status: 'InProgress', trigger: 'scheduled', start_time: new Date().toISOString(), status_text: '', total: 2, failed: 0, succeed: 0, in_progress: 2, stopped: 0, ...overrides,
    });
    return id;
  };
  const harborFinishes = (id: number) => stack.harbor.emulator.state.replicationExecutions.set(id, { ...harborExecution(id)!, status: 'Succeed', succeed: 2, in_progress: 0, end_time: new Date().toISOString() });

  /** A REPLICATION delivery of a push to namespace `mirror` as Harbor sends it (no execution id relied on), each one distinct. */
  let occurAt = 1_900_000_000;
  const deliverReplicationWebhook = async () => {
    const [row] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    const auth = `Bearer ${stack.deps.secrets.open(row!.webhook_secret as string)}`;
    const payload = {
      type: 'REPLICATION',
      occur_at: occurAt++,
      operator: 'admin',
      event_data: {
        replication: {
          harbor_hostname: 'harbor.example',
          job_status: 'InProgress',
          trigger_type: 'SCHEDULE',
          // Harbor's push payload: the local side carries the destination's namespace, the remote side the project's.
          src_resource: { registry_type: 'harbor', endpoint: 'https://harbor.example', namespace: 'mirror' },
          dest_resource: { registry_name: remote, registry_type: 'docker-registry', endpoint: dr.url, namespace: project },
        },
      },
    };
    const res = await stack.app.request('/api/v1/webhooks/harbor', jsonRequest(payload, { authorization: auth }));
    expect(res.status, await res.clone().text()).toBe(200);
  };

  beforeAll(async () => {
    ({ stack, tenant, project, projectId } = await startStackWithProject('exec'));
    dr = await startOciRegistry();
    model = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    const made = await stack.app.request('/api/v1/registries', jsonRequest({ name: remote, tenant, type: 'docker-registry', url: dr.url }));
    expect(made.status, await made.clone().text()).toBe(201);
    const res = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'to-dr', direction: 'push', registry: remote }));
    expect(res.status, await res.clone().text()).toBe(201);
    rule = await readJson(res);
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await dr?.stop();
  });

  it('runs a rule now: the execution as Harbor reports it, recorded, listed, followed to its end and published', async () => {
    const res = await stack.app.request(`${base()}/executions`, { method: 'POST' });
    const started = await readJson(res);
    expect(res.status, JSON.stringify(started)).toBe(201);
    expect(started).toMatchObject({ harborPolicyId: rule.harborPolicyId, ruleId: rule.id, purpose: 'rule', registry: stack.registry });
    const harbor = await stack.harbor.client.replication.getExecution(started.harborExecutionId);
    expect(harbor?.policy_id).toBe(rule.harborPolicyId);

    // Whatever Harbor does with it (the emulator may finish at once or copy for a while), the row ends where Harbor does.
    const done = await eventually('the execution final', async () => {
      const one = await readJson(await stack.app.request(`${base()}/executions/${started.id}`));
      return one.status !== 'InProgress' && one;
    });
    const final = await stack.harbor.client.replication.getExecution(started.harborExecutionId);
    const tasks = await stack.harbor.client.replication.listTasks(started.harborExecutionId);
    expect(done).toMatchObject({
      id: started.id,
      status: final!.status,
      counts: { total: final!.total, succeed: final!.succeed, failed: final!.failed, inProgress: final!.in_progress, stopped: final!.stopped },
    });
    expect(done.tasks.map((t: { id: number; status: string }) => [t.id, t.status])).toEqual(tasks.map((t) => [t.id, t.status]));
    // The emulator copies for real: one task for the model, which is on the remote side under the project's name.
    expect(done).toMatchObject({ status: 'Succeed', counts: { total: 1, succeed: 1 } });
    expect(done.tasks[0]).toMatchObject({ status: 'Succeed', srcResource: expect.stringContaining(`${project}/llama`), dstResource: expect.stringContaining(`${project}/llama`) });
    const manifest = await fetch(`${dr.url}/v2/${project}/llama/manifests/1.0.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(manifest.headers.get('docker-content-digest')).toBe(model.digest);

    const again = await readJson(await stack.app.request(`${base()}/executions`, { method: 'POST' }));
    expect(again.harborExecutionId).not.toBe(started.harborExecutionId);
    const page = await readJson(await stack.app.request(`${base()}/executions?limit=1`));
    expect(page.items.map((e: { id: string }) => e.id)).toEqual([again.id]);
    const older = await readJson(await stack.app.request(`${base()}/executions?limit=1&cursor=${page.nextCursor}`));
    expect(older.items.map((e: { id: string }) => e.id)).toEqual([started.id]);
    expect((await stack.app.request(`${base()}/executions/${randomUUID()}`)).status).toBe(404);
    expect((await stack.app.request(`${base()}/executions/not-a-uuid`)).status).toBe(400);

    const subject = `replication-executions/${stack.registry}/${started.harborExecutionId}`;
    const finished = (records: { value: string }[]) => records.map((r) => JSON.parse(r.value)).filter((e) => e.type === 'modelregistry.replication_execution.finished' && e.subject === subject);
    const events = finished(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the finished event',
      until: (records) => finished(records).length >= 1,
      never: { what: 'a second finished event', check: (records) => finished(records).length > 1, forMs: 1000 },
    }));
    expect(events[0].data.execution).toMatchObject({ harborExecutionId: started.harborExecutionId, status: final!.status });
    const [audit] = await stack.database.sql`select actor from modelregistry.audit_events where action = 'replication.run' and details->>'harborExecutionId' = ${String(started.harborExecutionId)}`;
    expect(audit).toBeDefined();
  });

  it("a pull rule's run records where what it pulled lives: present on the remote registry with the digest both sides serve", async () => {
    const pulled = await pushModel(dr.url, `${project}/pulled`, '2.0.0');
    const made = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'from-dr', direction: 'pull', registry: remote, filters: { name: 'pulled' } }));
    expect(made.status, await made.clone().text()).toBe(201);
    await pauseRuleSyncSchedule(stack, project, 'from-dr');
    const started = await readJson(await stack.app.request(`/api/v1/projects/${project}/replications/from-dr/executions`, { method: 'POST' }));
    const listed = await eventually('the pulled version located', async () => {
      const page = await readJson(await stack.app.request(`/api/v1/registries/${remote}/models?limit=100`));
      return page.items.find((l: { model: string }) => l.model === 'pulled');
    });
    expect(listed).toMatchObject({ project, tag: '2.0.0', digest: pulled.digest, status: 'present', remoteRepository: `${project}/pulled`, harborExecutionId: started.harborExecutionId });
    // Harbor copied it into the project: the local registry serves the same digest.
    const here = await fetch(`${stack.harbor.emulator.url}/v2/${project}/pulled/manifests/2.0.0`, { method: 'HEAD', headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    expect(here.headers.get('docker-content-digest')).toBe(pulled.digest);
  });

  it("learns of an execution Harbor's trigger started from a REPLICATION webhook, and the webhook nudges its follower to read Harbor now", async () => {
    const id = harborStarts();
    await deliverReplicationWebhook();
    const discovered = await eventually('the execution discovered', async () => rowOf(id));
    expect(discovered).toMatchObject({ rule_id: rule.id, project_id: projectId, purpose: 'rule', status: 'InProgress', in_progress: 2, trigger: 'scheduled' });

    // The webhook started a follower; in its place one that would not look again for ten minutes: only a nudge makes it read Harbor soon.
    const workflowId = replicationExecutionWorkflowId(stack.registry, id);
    await eventually('the webhook started a follower', () => stack.client.workflow.getHandle(workflowId).describe().catch(() => false));
    // Terminating it first raced the webhook's last nudge, which could start a fresh one in between.
    const follower = await stack.client.workflow.start('replicationExecutionWorkflow', { workflowId, taskQueue: stack.taskQueue, args: [{ registry: stack.registry, harborExecutionId: id }, 600_000], workflowIdConflictPolicy: 'TERMINATE_EXISTING' });
    await eventually('the follower read Harbor once', async () => (await follower.query<{ status: string } | undefined>('progress'))?.status === 'InProgress');

    harborFinishes(id);
    const nudgedAt = Date.now();
    await deliverReplicationWebhook();
    const result = await follower.result();
    expect(Date.now() - nudgedAt).toBeLessThan(20_000);
    expect(result).toMatchObject({ harborExecutionId: id, status: 'Succeed', counts: { total: 2, succeed: 2, inProgress: 0 } });
    expect(await rowOf(id)).toMatchObject({ status: 'Succeed', succeed: 2, in_progress: 0 });
    const listed = await readJson(await stack.app.request(`${base()}/executions?limit=50`));
    expect(listed.items.find((e: { harborExecutionId: number }) => e.harborExecutionId === id)).toMatchObject({ status: 'Succeed', trigger: 'scheduled' });
  });

  it("records the tasks of an execution Harbor's trigger started and finished before its webhook came, and announces its end once", async () => {
    const id = harborStarts({ status: 'Succeed', succeed: 1, in_progress: 0, total: 1, end_time: new Date().toISOString() });
    const taskId = stack.harbor.emulator.state.nextId();
    const now = new Date().toISOString();
    stack.harbor.emulator.state.replicationTasks.set(taskId, {
      task: { id: taskId, execution_id: id, resource_type: 'artifact', src_resource: `${project}/llama [1 item(s) in total]`, dst_resource: `mirror/llama [1 item(s) in total]`, operation: 'copy', status: 'Succeed', job_id: 'j', start_time: now, end_time: now },
      references: [],
      log: [],
    });
    await deliverReplicationWebhook();
    const listed = await eventually('the execution with its tasks', async () => {
      const page = await readJson(await stack.app.request(`${base()}/executions?limit=50`));
      const found = page.items.find((e: { harborExecutionId: number }) => e.harborExecutionId === id);
      const detail = found && (await readJson(await stack.app.request(`${base()}/executions/${found.id}`)));
      return detail?.tasks.length > 0 && detail;
    });
    expect(listed.tasks).toEqual([expect.objectContaining({ id: taskId, status: 'Succeed', srcResource: expect.stringContaining(`${project}/llama`) })]);
    const subject = `replication-executions/${stack.registry}/${id}`;
    const finished = (records: { value: string }[]) => records.map((r) => JSON.parse(r.value)).filter((e) => e.type === 'modelregistry.replication_execution.finished' && e.subject === subject);
    await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: "the execution's end",
      until: (records) => finished(records).length === 1,
      never: { what: 'a second announcement', check: (records) => finished(records).length > 1, forMs: 1000 },
    });
  });

  it('the poller refreshes an execution still in progress that nobody asked Harbor about lately', async () => {
    const stale = harborStarts();
    const fresh = harborStarts();
    const gone = harborStarts();
    for (const id of [stale, fresh, gone]) {
      await stack.database.sql`insert into modelregistry.replication_executions (harbor_instance, harbor_execution_id, harbor_policy_id, rule_id, project_id, purpose, status, total, in_progress)
        values (${stack.registry}, ${id}, ${rule.harborPolicyId}, ${rule.id}, ${projectId}, 'rule', 'InProgress', 2, 2)`;
    }
    await stack.database.sql`update modelregistry.replication_executions set observed_at = now() - interval '10 minutes' where harbor_instance = ${stack.registry} and harbor_execution_id in ${stack.database.sql([stale, gone])}`;
    harborFinishes(stale);
    // Deleted in Harbor meanwhile: stopped, not followed for ever.
    stack.harbor.emulator.state.replicationExecutions.delete(gone);
    harborFinishes(fresh);

    await ensureSchedules(stack.client, stack.taskQueue);
    const schedule = await stack.client.schedule.getHandle(REPLICATION_POLLER_SCHEDULE_ID).describe();
    expect(schedule.action).toMatchObject({ type: 'startWorkflow', workflowType: 'replicationPollWorkflow' });
    expect(schedule.spec.intervals?.[0]?.every).toBe(60_000);
    // One run of what the Schedule runs every minute, here and now.
    const polled = await stack.client.workflow.execute('replicationPollWorkflow', { workflowId: uniqueName('poll'), taskQueue: stack.taskQueue, args: [300] });
    expect(polled).toMatchObject({ nudged: expect.any(Number) });
    await eventually('the stale execution refreshed', async () => (await rowOf(stale))?.status === 'Succeed');
    expect(await rowOf(stale)).toMatchObject({ succeed: 2, in_progress: 0 });
    await eventually('the vanished execution stopped', async () => (await rowOf(gone))?.status === 'Stopped');
    expect((await rowOf(gone))!.status_text).toMatch(/no longer in Harbor/);
    // Observed moments ago: not the poller's business (a follower or a webhook has it).
    expect(await rowOf(fresh)).toMatchObject({ status: 'InProgress' });
  });

  it('refuses (409) deleting a rule while Harbor runs one of its executions, and deletes it once that has ended', async () => {
    const running = harborStarts();
    const refused = await stack.app.request(base(), { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await readJson(refused)).detail).toMatch(/while one of its executions runs/);
    expect((await stack.app.request(base())).status).toBe(200);
    harborFinishes(running);
    expect((await stack.app.request(base(), { method: 'DELETE' })).status).toBe(200);
    expect(await stack.harbor.client.replication.listPolicies(`${project}.to-dr`)).toEqual([]);
  });
});
