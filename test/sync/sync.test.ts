import { randomBytes, randomUUID } from 'node:crypto';
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { upgradeRuleSyncSchedules } from '../../activities/temporal/sync-schedules';
import { findLiveReplicationRule } from '../../db/queries/replications';
import { pushModel } from '../harbor/oci-push';
import { startOciRegistry } from '../servers/oci-registry';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject, pauseRuleSyncSchedule } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { registrySyncWorkflowId, ruleSyncScheduleId } from '../../lib/workflow-ids';
import { copyArtifact, createRemote, replayAndRecord, servedDigest, versionDetail } from '../promotion/support';

/**
 * A pull rule's synchronization against a second real OCI registry (Basic auth): versions only
 * there are pulled by Harbor (the emulator copies for real) and catalogued, the same ones are
 * skipped, a tag with another digest on each side is reported and left alone unless the rule
 * overrides.
 */
describe('pull synchronization', () => {
  let stack: TestStack;
  let remoteRegistry: Awaited<ReturnType<typeof startOciRegistry>>;
  let project: string;
  let projectId: string;
  let remote: string;
  const rule = 'from-upstream';
  const auth = { username: 'syncer', password: `s3cr3t-${uniqueName('pw')}` };
  const digests: Record<string, string> = {};
  const sync = () => stack.app.request(`/api/v1/projects/${project}/replications/${rule}/sync`, { method: 'POST' });
  const executions = () => stack.harbor.emulator.state.replicationExecutions.size;
  /** A version whose copy is slow enough to be seen running, once the rule's bandwidth is 100 KB/s: a weights blob past Harbor's 1000 KiB burst. */
  const bigModel = (tag: string) => pushModel(remoteRegistry.url, 'team/llama', tag, { auth, weights: randomBytes(1050 * 1024) });
  const localDigest = async (tag: string) => (await versionDetail(stack, project, 'llama', tag)).digest as string | undefined;

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, captureLogs: true });
    remoteRegistry = await startOciRegistry({ auth });
    const tenant = await createTenant(stack);
    ({ project, projectId } = await onboardProject(stack, tenant, { name: uniqueName('pull') }));
    remote = await createRemote(stack, tenant, uniqueName('upstream'), remoteRegistry.url, { access_key: auth.username, access_secret: auth.password });
    const created = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: rule, direction: 'pull', registry: remote, remoteNamespace: 'team', filters: { name: 'll*' } }));
    expect(created.status, await created.clone().text()).toBe(201);
    // One of its syncs at the top of an hour raced the one a test started.
    await pauseRuleSyncSchedule(stack, project, rule);

    const local = stack.harbor.emulator.url;
    // 1.0.0 on both sides (the same artifact); 1.1.0 on both with different artifacts; 2.0.0, `latest` and another model only there.
    digests.same = (await pushModel(local, `${project}/llama`, '1.0.0')).digest;
    await copyArtifact(local, `${project}/llama`, remoteRegistry.url, 'team/llama', '1.0.0', '1.0.0', auth);
    digests.oursConflicting = (await pushModel(local, `${project}/llama`, '1.1.0')).digest;
    digests.theirsConflicting = (await pushModel(remoteRegistry.url, 'team/llama', '1.1.0', { auth })).digest;
    digests.newer = (await pushModel(remoteRegistry.url, 'team/llama', '2.0.0', { auth })).digest;
    await pushModel(remoteRegistry.url, 'team/llama', 'latest', { auth });
    await pushModel(remoteRegistry.url, 'team/bert', '0.1.0', { auth });
    await eventually('the local versions catalogued', async () => (await localDigest('1.1.0')) === digests.oursConflicting && (await localDigest('1.0.0')) === digests.same);
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await remoteRegistry?.stop();
  });

  it('pulls a newer version only the remote has, with its catalogue entry, and reports the conflicting tag without touching it', async () => {
    const res = await sync();
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({
      rule,
      project,
      remoteRegistry: remote,
      pulled: [{ model: 'llama', tag: '2.0.0', digest: digests.newer }],
      skipped: [{ model: 'llama', tag: '1.0.0', digest: digests.same }],
      conflicts: [{ model: 'llama', tag: '1.1.0', localDigest: digests.oursConflicting, remoteDigest: digests.theirsConflicting }],
    });
    expect(body.harborExecutionId).toEqual(expect.any(Number));
    // In Harbor and in the catalogue, with the remote's digest; the conflicting tag kept its own.
    expect(await servedDigest(stack.harbor.emulator.url, `${project}/llama`, '2.0.0')).toBe(digests.newer);
    expect(await localDigest('2.0.0')).toBe(digests.newer);
    expect((await readJson(await stack.app.request(`/api/v1/models/${project}/llama`))).versions.map((v: { tag: string }) => v.tag)).toEqual(expect.arrayContaining(['1.0.0', '1.1.0', '2.0.0']));
    expect(await servedDigest(stack.harbor.emulator.url, `${project}/llama`, '1.1.0')).toBe(digests.oursConflicting);
    expect(await localDigest('1.1.0')).toBe(digests.oursConflicting);
    // Neither the filtered-out model nor the non-semver tag came.
    expect(await servedDigest(stack.harbor.emulator.url, `${project}/llama`, 'latest')).toBeNull();
    expect((await stack.app.request(`/api/v1/models/${project}/bert`)).status).toBe(404);

    expect((await versionDetail(stack, project, 'llama', '1.1.0')).locations).toEqual([expect.objectContaining({ remoteRegistry: remote, remoteRepository: 'team/llama', status: 'mismatch', digest: digests.theirsConflicting })]);
    expect((await versionDetail(stack, project, 'llama', '2.0.0')).locations).toEqual([expect.objectContaining({ remoteRegistry: remote, status: 'present', digest: digests.newer, harborExecutionId: body.harborExecutionId })]);
    // Harbor's ids are per instance: other test files' emulators use the same numbers.
    const [execution] = await stack.database.sql<{ purpose: string; rule_id: string | null }[]>`select purpose, rule_id from modelregistry.replication_executions where harbor_instance = ${stack.registry} and harbor_execution_id = ${body.harborExecutionId}`;
    expect(execution!.purpose).toBe('sync');
    expect(execution!.rule_id).toBeTruthy();
    expect([...stack.harbor.emulator.state.replicationPolicies.values()].filter((p) => /^sync-[0-9a-f-]{36}$/.test(p.name ?? ''))).toEqual([]);

    const records = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the mismatch event', until: (rs) => rs.some((r) => JSON.parse(r.value).type === 'modelregistry.registry.mismatch') });
    const mismatch = records.map((r) => JSON.parse(r.value)).find((e) => e.type === 'modelregistry.registry.mismatch');
    expect(mismatch.data.conflicts).toEqual([{ model: 'llama', tag: '1.1.0', localDigest: digests.oursConflicting, remoteDigest: digests.theirsConflicting }]);
    expect(JSON.stringify(records.map((r) => r.value))).not.toContain(auth.password);
    expect(stack.logs.join('\n')).not.toContain(auth.password);

    await replayAndRecord(stack, registrySyncWorkflowId(stack.registry, project, rule), 'registry-sync.json');

    // Again: nothing left to pull, no new execution.
    const executions = stack.harbor.emulator.state.replicationExecutions.size;
    const again = await readJson(await sync());
    expect(again).toMatchObject({ pulled: [], harborExecutionId: null, conflicts: [{ tag: '1.1.0' }] });
    expect(again.skipped.map((v: { tag: string }) => v.tag)).toEqual(['1.0.0', '2.0.0']);
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(executions);
  });

  it('overwrites the conflicting tag only once the rule says override', async () => {
    const patched = await stack.app.request(`/api/v1/projects/${project}/replications/${rule}`, jsonRequest({ override: true }, {}, 'PATCH'));
    expect(patched.status, await patched.clone().text()).toBe(200);
    const body = await readJson(await sync());
    expect(body).toMatchObject({ pulled: [{ model: 'llama', tag: '1.1.0', digest: digests.theirsConflicting }], conflicts: [] });
    expect(await localDigest('1.1.0')).toBe(digests.theirsConflicting);
    expect((await versionDetail(stack, project, 'llama', '1.1.0')).locations).toEqual([expect.objectContaining({ status: 'present', digest: digests.theirsConflicting })]);
  });

  it('pulls a model the project does not have at all yet (Harbor has no such repository before the pull)', async () => {
    const first = await pushModel(remoteRegistry.url, 'team/llava', '0.1.0', { auth });
    const res = await sync();
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.pulled).toEqual([{ model: 'llava', tag: '0.1.0', digest: first.digest }]);
    expect(await servedDigest(stack.harbor.emulator.url, `${project}/llava`, '0.1.0')).toBe(first.digest);
    expect((await versionDetail(stack, project, 'llava', '0.1.0')).digest).toBe(first.digest);
  });

  it('pulls again a model Harbor deleted while its webhooks were lost, rather than count its stale version as present', async () => {
    stack.harbor.emulator.faults.dropWebhooks(100);
    await stack.harbor.client.repositories.delete(project, 'llava');
    await stack.harbor.emulator.webhooks.idle();
    stack.harbor.emulator.faults.reset();
    expect((await versionDetail(stack, project, 'llava', '0.1.0')).digest).toEqual(expect.any(String));
    const body = await readJson(await sync());
    expect(body.pulled).toEqual([expect.objectContaining({ model: 'llava', tag: '0.1.0' })]);
    expect(await servedDigest(stack.harbor.emulator.url, `${project}/llava`, '0.1.0')).toBe(body.pulled[0].digest);
    // The archive its import made is announced as the lost webhook's would have been.
    const archived = (r: { key: string; value: string }) => r.key === `models/${stack.registry}/${project}/llava` && JSON.parse(r.value).type === 'modelregistry.model.image_archived';
    const records = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the archive announced', until: (rs) => rs.some(archived) });
    expect(JSON.parse(records.find(archived)!.value).data).toMatchObject({ project, model: 'llava', digest: body.pulled[0].digest, change: 'archived', via: 'sync' });
  });

  it('refuses a push rule and an unknown one', async () => {
    const push = await stack.app.request(`/api/v1/projects/${project}/replications`, jsonRequest({ name: 'to-upstream', direction: 'push', registry: remote }));
    expect(push.status).toBe(201);
    const refused = await stack.app.request(`/api/v1/projects/${project}/replications/to-upstream/sync`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect((await stack.app.request(`/api/v1/projects/${project}/replications/nothing/sync`, { method: 'POST' })).status).toBe(404);
  });

  it("runs a Schedule's sync under the rule's key, so that it never runs beside the API's", async () => {
    const ref = { registry: stack.registry, project, name: rule };
    const key = registrySyncWorkflowId(stack.registry, project, rule);
    expect((await stack.app.request(`/api/v1/projects/${project}/replications/${rule}`, jsonRequest({ bandwidthKbps: 100 }, {}, 'PATCH'))).status).toBe(200);
    // As the Schedule starts it: its own id, the time appended.
    const scheduledRun = () => stack.client.workflow.start('scheduledSyncWorkflow', { workflowId: `${key}-${new Date().toISOString()}`, taskQueue: stack.taskQueue, args: [{ ref }] });
    const syncRunning = () => eventually('a sync running under the rule key', async () => (await stack.client.workflow.getHandle(key).describe()).status.name === 'RUNNING');
    const before = executions();

    // The Schedule's first: the API's is refused as busy.
    const first = await bigModel('3.0.0');
    const scheduled = await scheduledRun();
    await syncRunning();
    const refused = await sync();
    expect(refused.status).toBe(409);
    expect(await readJson(refused)).toMatchObject({ type: expect.stringContaining('operation-in-progress') });
    expect(await scheduled.result()).toMatchObject({ pulled: [{ tag: '3.0.0', digest: first.digest }] });
    expect(executions()).toBe(before + 1);

    // The API's first: the Schedule's run leaves it alone.
    const second = await bigModel('3.1.0');
    const answered = sync();
    await syncRunning();
    expect(await (await scheduledRun()).result()).toEqual({ alreadyRunning: key });
    const res = await answered;
    expect(await readJson(res)).toMatchObject({ pulled: [{ tag: '3.1.0', digest: second.digest }] });
    expect(executions()).toBe(before + 2);
  });

  it("waits for a run of the rule's own Harbor policy rather than pull the same versions beside it", async () => {
    const version = await bigModel('3.2.0');
    const before = executions();
    // As the rule's cron in Harbor would, at the Schedule's time: Harbor's run of the rule's policy.
    const run = await stack.app.request(`/api/v1/projects/${project}/replications/${rule}/executions`, { method: 'POST' });
    expect(run.ok, await run.clone().text()).toBe(true);
    const res = await sync();
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ pulled: [], harborExecutionId: null });
    expect(body.skipped).toContainEqual({ model: 'llama', tag: '3.2.0', digest: version.digest });
    expect(executions()).toBe(before + 1);
  });

  it('imports what a run of the rule copied that the catalogue has not heard of yet, rather than pull it again', async () => {
    const version = await pushModel(remoteRegistry.url, 'team/llama', '3.3.0', { auth });
    // The rule's run ends before the sync looks, and the catalogue has not had its push events.
    stack.harbor.emulator.faults.dropWebhooks(100);
    try {
      const run = await readJson(await stack.app.request(`/api/v1/projects/${project}/replications/${rule}/executions`, { method: 'POST' }));
      await eventually('the rule run ended', () => stack.harbor.emulator.state.replicationExecutions.get(run.harborExecutionId)?.status === 'Succeed');
      await stack.harbor.emulator.webhooks.idle();
      expect(await localDigest('3.3.0')).toBeUndefined();
      const before = executions();
      const body = await readJson(await sync());
      expect(body).toMatchObject({ pulled: [], harborExecutionId: null });
      expect(body.skipped).toContainEqual({ model: 'llama', tag: '3.3.0', digest: version.digest });
      expect(executions()).toBe(before);
    } finally {
      stack.harbor.emulator.faults.reset();
    }
  });

  it('brings a Schedule made before that change up to date; one whose rule is gone deletes itself when it runs', async () => {
    // The id of no rule: as a Schedule an update made again while a force delete took its rule.
    const ruleId = randomUUID();
    const oldSchedule = (id: string, taskQueue: string) =>
      stack.client.schedule.create({
        scheduleId: ruleSyncScheduleId(id),
        spec: { intervals: [{ every: '1 day' }] },
        state: { paused: true },
        action: { type: 'startWorkflow', workflowType: 'registrySyncWorkflow', args: [{ ref: { registry: stack.registry, project, name: rule } }], taskQueue, workflowId: registrySyncWorkflowId(stack.registry, project, rule) },
      });
    const handle = await oldSchedule(ruleId, stack.taskQueue);
    // Another deployment's, on its own task queue: its workers may not know the new workflow yet.
    const another = await oldSchedule(randomUUID(), uniqueName('another-deployment'));
    try {
      // Schedules are listed from visibility, a moment behind.
      await eventually('both Schedules listed', async () => {
        const listed = new Set<string>();
        for await (const s of stack.client.schedule.list()) listed.add(s.scheduleId);
        return listed.has(handle.scheduleId) && listed.has(another.scheduleId);
      });
      await upgradeRuleSyncSchedules(stack.client, stack.taskQueue);
      expect((await handle.describe()).action).toMatchObject({ workflowType: 'scheduledSyncWorkflow', args: [{ ref: { registry: stack.registry, project, name: rule }, ruleId }] });
      expect((await another.describe()).action).toMatchObject({ workflowType: 'registrySyncWorkflow' });
      await handle.unpause();
      await handle.trigger();
      await eventually('the Schedule of a rule that is gone deleted', () => handle.describe().then(() => false, (err: unknown) => err instanceof ScheduleNotFoundError));
    } finally {
      await handle.delete().catch(() => undefined);
      await another.delete();
    }
  });

  it('keeps one Temporal Schedule per pull rule, in step with the rule through its workflows', async () => {
    const record = (await findLiveReplicationRule(stack.database.db, projectId, rule))!;
    const handle = stack.client.schedule.getHandle(ruleSyncScheduleId(record.id));
    const patch = (body: Record<string, unknown>) => stack.app.request(`/api/v1/projects/${project}/replications/${rule}`, jsonRequest(body, {}, 'PATCH'));
    // Created with the rule.
    const described = await handle.describe();
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledSyncWorkflow', workflowId: `sync:${stack.registry}/${project}/${rule}` });
    expect(described.spec.intervals?.[0]?.every).toBe(3_600_000);
    expect((await patch({ trigger: 'scheduled', cron: '0 30 2 * * ?' })).status).toBe(200);
    // Harbor's seconds dropped: 02:30 every day, as Temporal's calendar.
    expect((await handle.describe()).spec.calendars).toEqual([expect.objectContaining({ hour: [{ start: 2, end: 2, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] })]);
    // A disabled rule has none; enabled again, it has one.
    expect((await patch({ enabled: false })).status).toBe(200);
    await expect(handle.describe()).rejects.toThrow();
    expect((await patch({ enabled: true, trigger: 'manual' })).status).toBe(200);
    expect((await handle.describe()).spec.intervals?.[0]?.every).toBe(3_600_000);
    // A deleted rule has none; deleting a Schedule that is gone is fine.
    expect((await stack.app.request(`/api/v1/projects/${project}/replications/${rule}`, { method: 'DELETE' })).status).toBe(200);
    await expect(handle.describe()).rejects.toThrow();
    await createActivities(stack.deps).deleteRuleSyncSchedule(record.id);
  });
});
