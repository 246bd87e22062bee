import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { effectivePolicy } from '../../lib/cleanup/policy';
import type { CleanupPolicy } from '../../lib/cleanup/types';
import { cleanupPolicyWorkflowId, cleanupTenantPolicyWorkflowId } from '../../lib/workflow-ids';
import { bearer } from '../support/auth';
import { eventually, expectNever } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { replayAndRecord } from '../promotion/support';
import { catalogued, getRun, harborVersions, liveVersions, pushVersions, putPolicy, runReaches, startRun, versionsOf } from './support';

const keepOne = { kind: 'keep_newest', count: 1, per: 'model' };

describe('cleanup: policies, candidates and runs', () => {
  let stack: TestStack;
  let tenant: string;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
  }, 120_000);
  afterAll(() => stack?.close());

  /**
   * A project of two models: alpha 1.0.0 (labelled keep), 1.1.0 (also tagged `stable`), 1.2.0,
   * 2.0.0 and beta 0.1.0, 0.2.0, catalogued. Keeping the newest release per model selects alpha
   * 1.1.0 (an untag: `stable` stays), alpha 1.2.0, beta 0.1.0, and would select alpha 1.0.0 but
   * for its label.
   */
  async function seededProject() {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('clean') });
    const alpha = await pushVersions(stack, project, 'alpha', ['1.0.0', '1.1.0', '1.2.0', '2.0.0']);
    await pushVersions(stack, project, 'beta', ['0.1.0', '0.2.0']);
    await stack.harbor.client.artifacts.addTag(project, 'alpha', alpha['1.1.0']!, 'stable');
    stack.harbor.emulator.state.artifact(`${project}/alpha`, alpha['1.0.0']!, new Date().toISOString()).labels = [{ id: 1, name: 'keep', scope: 'g' }];
    const all = ['alpha:1.0.0', 'alpha:1.1.0', 'alpha:1.2.0', 'alpha:2.0.0', 'alpha:stable', 'beta:0.1.0', 'beta:0.2.0'];
    await catalogued(stack, project, all);
    return { project, alpha, all };
  }

  it("gives a project onboarded or registered into a tenant with a default policy that policy's Schedule", async () => {
    const own = await createTenant(stack);
    const policy = { mode: 'report', schedule: '0 30 5 * * *', rules: [keepOne] };
    expect((await stack.app.request(`/api/v1/tenants/${own}/cleanup/policy`, jsonRequest(policy, {}, 'PUT'))).status).toBe(200);
    const { project } = await onboardProject(stack, own, { name: uniqueName('heir') });
    const onboarded = await stack.client.schedule.getHandle(`cleanup:${stack.registry}/${project}`).describe();
    expect(onboarded.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 5, end: 5, step: 1 }], minute: [{ start: 30, end: 30, step: 1 }] });

    // A Harbor project taken under management (PUT /projects) follows it too.
    const existing = uniqueName('heir');
    await stack.harbor.client.projects.create({ project_name: existing });
    const registered = await stack.app.request('/api/v1/projects', jsonRequest({ name: existing, display_name: existing, tenantId: own }, {}, 'PUT'));
    expect(registered.status, await registered.clone().text()).toBe(200);
    expect((await stack.client.schedule.getHandle(`cleanup:${stack.registry}/${existing}`).describe()).spec.calendars?.[0]).toMatchObject({ hour: [{ start: 5, end: 5, step: 1 }] });
  });

  it("a tenant default reaches each project under the project's policy key: a policy of its own stored meanwhile is not overwritten", async () => {
    const own = await createTenant(stack);
    const { project, projectId } = await onboardProject(stack, own, { name: uniqueName('own') });
    const projectPolicy = { mode: 'report', schedule: '0 15 1 * * *', rules: [keepOne] };
    // A change of the project's own policy in progress: its workflow holds the project's key (on a queue nobody polls, it stays).
    const held = await stack.client.workflow.start('cleanupPolicyWorkflow', {
      workflowId: cleanupPolicyWorkflowId(stack.registry, project),
      taskQueue: uniqueName('nobody'),
      args: [{ registry: stack.registry, project, policy: projectPolicy, actor: { username: 'someone', subject: 'someone' } }],
    });
    const tenantPut = stack.app.request(`/api/v1/tenants/${own}/cleanup/policy`, jsonRequest({ mode: 'report', schedule: '0 45 4 * * *', rules: [keepOne] }, {}, 'PUT'));
    // The tenant's workflow read the project as inheriting and found its key held.
    await eventually('the tenant workflow waiting for the project', async () => {
      const events = (await stack.client.workflow.getHandle(cleanupTenantPolicyWorkflowId(own)).fetchHistory()).events ?? [];
      return events.some((e) => e.startChildWorkflowExecutionFailedEventAttributes);
    });
    // Meanwhile the project's change stores its policy and ends.
    await createActivities(stack.deps).saveCleanupPolicy({ tenant: own, projectId, policy: projectPolicy as CleanupPolicy, updatedBy: 'someone' });
    await held.terminate('its policy is stored');

    const res = await tenantPut;
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body.inheritedBy).toEqual([]);
    await expect(stack.client.schedule.getHandle(`cleanup:${stack.registry}/${project}`).describe()).rejects.toThrow(ScheduleNotFoundError);
    // A project archived after the tenant's workflow listed it does not inherit, and fails nothing.
    expect(await stack.client.workflow.execute('cleanupPolicyFollowWorkflow', { workflowId: uniqueName('follow'), taskQueue: stack.taskQueue, args: [{ registry: stack.registry, project: uniqueName('archived') }] })).toBe(false);
  });

  it('a Schedule whose project is gone deletes itself when it runs, rather than fail every run', async () => {
    const gone = uniqueName('gone');
    // As a policy change racing the project's archive would leave it.
    await createActivities(stack.deps).upsertCleanupSchedule({ registry: stack.registry, project: gone, tenant, policy: { ...effectivePolicy(undefined, undefined).policy, schedule: '0 0 2 * * *' } });
    const handle = stack.client.schedule.getHandle(`cleanup:${stack.registry}/${gone}`);
    await handle.trigger();
    await eventually('the Schedule deleted', () => handle.describe().then(() => false, (err: unknown) => err instanceof ScheduleNotFoundError));
  });

  it('stores policies through a workflow: tenant default inherited, project policy, 400 naming the field, Schedule and retention follow', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('policy') });
    const path = `/api/v1/projects/${project}/cleanup/policy`;
    expect(await readJson(await stack.app.request(path))).toMatchObject({ source: 'default', policy: { mode: 'report', maxDeletionsPerRun: 100, keepLabel: 'keep' } });

    const tenantDefault = await stack.app.request(`/api/v1/tenants/${tenant}/cleanup/policy`, jsonRequest({ mode: 'report', rules: [keepOne] }, {}, 'PUT'));
    expect(tenantDefault.status, await tenantDefault.clone().text()).toBe(200);
    expect(await readJson(tenantDefault)).toMatchObject({ source: 'tenant', inheritedBy: expect.arrayContaining([`${stack.registry}/${project}`]) });
    expect(await readJson(await stack.app.request(path))).toMatchObject({ source: 'tenant', policy: { rules: [keepOne] } });

    const bad = await putPolicy(stack, project, { rules: [{ kind: 'untagged', olderThanHours: 1 }, { kind: 'keep_newest', count: 0, per: 'model' }] });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors.map((e: { field: string }) => e.field)).toEqual(['body.rules.1.count']);
    // Refused by the workflow's own checks, beyond the schema: named and typed as the schema's refusals are.
    const twice = await putPolicy(stack, project, { rules: [keepOne, { ...keepOne, count: 2 }] });
    expect(twice.status).toBe(400);
    expect(await readJson(twice)).toMatchObject({ type: 'https://model-registry.dev/problems/validation', title: 'Request validation failed', errors: [{ field: 'body.rules.1' }] });

    const scheduleId = `cleanup:${stack.registry}/${project}`;
    const stored = await putPolicy(stack, project, { mode: 'automatic', schedule: '0 0 3 * * *', rules: [keepOne], mirrorToHarborRetention: true });
    expect(stored.status, await stored.clone().text()).toBe(200);
    expect(await readJson(stored)).toMatchObject({ source: 'project', policy: { mode: 'automatic', schedule: '0 0 3 * * *' }, updatedBy: expect.any(String) });
    expect(await readJson(await stack.app.request(path))).toMatchObject({ source: 'project', policy: { mode: 'automatic' } });
    const schedule = await stack.client.schedule.getHandle(scheduleId).describe();
    expect(schedule.spec.calendars?.[0]).toMatchObject({ hour: [{ start: 3, end: 3, step: 1 }], minute: [{ start: 0, end: 0, step: 1 }] });
    expect(schedule.action).toMatchObject({ workflowType: 'cleanupRunWorkflow', args: [{ project, trigger: 'schedule', dryRun: false }] });
    expect(schedule.policies.overlap).toBe('SKIP');
    // The Schedule's action is a run like any other: triggered now, it claims the project and ends (nothing to remove).
    await stack.client.schedule.getHandle(scheduleId).trigger();
    const scheduled = await eventually('the scheduled run', async () => {
      const [row] = await stack.database.sql<{ status: string; workflow_id: string; dry_run: boolean }[]>`
        select r.status, r.workflow_id, r.dry_run from modelregistry.cleanup_runs r join modelregistry.projects p on p.id = r.project_id where p.name = ${project} and r.trigger = 'schedule'`;
      return row?.status === 'succeeded' && row;
    });
    expect(scheduled.workflow_id).toMatch(new RegExp(`^cleanup:${stack.registry}/${project}/scheduled`));
    expect(scheduled.dry_run).toBe(false);
    const retentionId = Number((await stack.harbor.client.projects.get(project))!.metadata!.retention_id);
    expect(stack.harbor.emulator.state.retentions.get(retentionId)).toBeDefined();

    // A change follows: report mode runs dry; no schedule, no Schedule; no mirror, no retention policy.
    await putPolicy(stack, project, { mode: 'report', schedule: '0 30 4 * * *', rules: [keepOne], mirrorToHarborRetention: true });
    expect((await stack.client.schedule.getHandle(scheduleId).describe()).action).toMatchObject({ args: [{ dryRun: true }] });
    expect(Number((await stack.harbor.client.projects.get(project))!.metadata!.retention_id)).toBe(retentionId);
    await putPolicy(stack, project, { mode: 'report', rules: [keepOne] });
    await expect(stack.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
    expect((await stack.harbor.client.projects.get(project))!.metadata?.retention_id ?? null).toBeNull();
    expect(stack.harbor.emulator.state.retentions.has(retentionId)).toBe(false);

    const audit = await stack.database.sql`select action from modelregistry.audit_events where resource = ${`projects/${stack.registry}/${project}/cleanup-policy`}`;
    expect(audit.map((a) => a.action)).toEqual(['cleanup.policy_updated', 'cleanup.policy_updated', 'cleanup.policy_updated']);
  });

  it("deleting a project's own policy makes it inherit again; archiving a project deletes its Schedule", async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('inherit') });
    const path = `/api/v1/projects/${project}/cleanup/policy`;
    const scheduleId = `cleanup:${stack.registry}/${project}`;
    expect((await stack.app.request(path, { method: 'DELETE' })).status).toBe(404);
    expect((await putPolicy(stack, project, { mode: 'automatic', schedule: '0 0 5 * * *', rules: [keepOne] })).status).toBe(200);
    expect((await stack.client.schedule.getHandle(scheduleId).describe()).action).toMatchObject({ args: [{ dryRun: false }] });

    const deleted = await stack.app.request(path, { method: 'DELETE' });
    expect(deleted.status, await deleted.clone().text()).toBe(200);
    const inherited = await readJson(deleted);
    expect(['tenant', 'default']).toContain(inherited.source);
    expect(await readJson(await stack.app.request(path))).toMatchObject({ source: inherited.source });
    // The Schedule follows what it inherits: the tenant default's schedule, or none.
    const schedule = await stack.client.schedule.getHandle(scheduleId).describe().catch((err: unknown) => err);
    if (inherited.policy.schedule) expect(schedule).not.toBeInstanceOf(Error);
    else expect(schedule).toBeInstanceOf(ScheduleNotFoundError);

    expect((await putPolicy(stack, project, { mode: 'automatic', schedule: '0 0 5 * * *', rules: [keepOne] })).status).toBe(200);
    const archived = await stack.app.request(`/api/v1/projects/${project}`, { method: 'DELETE' });
    expect(archived.status, await archived.clone().text()).toBeLessThan(300);
    await expect(stack.client.schedule.getHandle(scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);
  });

  it('answers the candidates of the policy in force, of an inline policy, and per tenant', async () => {
    const { project, all } = await seededProject();
    await putPolicy(stack, project, { rules: [keepOne] });
    const res = await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates?limit=2`);
    const first = await readJson(res);
    expect(res.status, JSON.stringify(first)).toBe(200);
    expect(first.totals.candidates).toBe(3);
    expect(first.items).toHaveLength(2);
    const rest = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates?limit=2&cursor=${first.nextCursor}`));
    expect(rest.nextCursor).toBeNull();
    const candidates = [...first.items, ...rest.items];
    expect(versionsOf(candidates)).toEqual(['alpha:1.1.0', 'alpha:1.2.0', 'beta:0.1.0']);
    expect(candidates.find((c) => c.tag === '1.1.0')).toMatchObject({ action: 'untag', freesBytes: 0, selectedBy: [{ index: 0, kind: 'keep_newest' }] });
    expect(candidates.find((c) => c.tag === '1.2.0')).toMatchObject({ action: 'delete' });
    expect(candidates.find((c) => c.tag === '1.2.0').freesBytes).toBeGreaterThan(0);
    // Protected versions are paged alongside.
    expect([...first.protected, ...rest.protected].find((p: { tag: string }) => p.tag === '1.0.0')).toMatchObject({ model: 'alpha', protections: ['label'] });

    // What would keeping two do: changes nothing, not even the stored policy.
    const inline = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates`, jsonRequest({ rules: [{ ...keepOne, count: 2 }] })));
    expect(inline.source).toBe('inline');
    expect(versionsOf(inline.items)).toEqual(['alpha:1.1.0']);
    expect((await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/policy`))).policy.rules).toEqual([keepOne]);
    expect(await harborVersions(stack, project)).toEqual(all);

    // An approved version is protected from then on, by name.
    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    const approval = await stack.app.request(`/api/v1/models/${project}/beta/versions/0.1.0/approval`, { method: 'POST', headers: maintainer });
    expect(approval.status, await approval.clone().text()).toBe(200);
    const after = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/candidates`));
    expect(versionsOf(after.items)).toEqual(['alpha:1.1.0', 'alpha:1.2.0']);
    expect(after.protected.find((p: { model: string; tag: string }) => p.model === 'beta' && p.tag === '0.1.0')).toMatchObject({ protections: ['approved'] });

    const perTenant = await readJson(await stack.app.request(`/api/v1/tenants/${tenant}/cleanup/candidates`));
    expect(perTenant.projects.find((p: { project: string }) => p.project === project)).toMatchObject({ source: 'project', totals: { candidates: 2, protected: expect.any(Number) } });
    expect(perTenant.totals.candidates).toBeGreaterThanOrEqual(2);
  });

  it('a dry run changes nothing; a real run removes exactly the candidates, untags, archives, audits and announces each once', async () => {
    const { project, alpha, all } = await seededProject();
    await putPolicy(stack, project, { mode: 'automatic', rules: [keepOne] });

    const dry = await startRun(stack, project);
    expect(dry).toMatchObject({ dryRun: true, trigger: 'manual' });
    const dryDone = await runReaches(stack, project, dry.id, 'succeeded');
    expect(versionsOf(dryDone.summary.removed)).toEqual(['alpha:1.1.0', 'alpha:1.2.0', 'beta:0.1.0']);
    expect(dryDone).toMatchObject({ total: 3, done: 3 });
    expect(await harborVersions(stack, project)).toEqual(all);
    expect(await liveVersions(stack, project)).toEqual(all);

    const real = await startRun(stack, project, { dryRun: false });
    const done = await runReaches(stack, project, real.id, 'succeeded', 'failed');
    expect(done.status, JSON.stringify(done.summary)).toBe('succeeded');
    expect(done).toMatchObject({ dryRun: false, total: 3, done: 3, summary: { failures: [] } });
    expect(done.bytesFreed).toBeGreaterThan(0);
    const left = ['alpha:1.0.0', 'alpha:2.0.0', 'alpha:stable', 'beta:0.2.0'];
    expect(await harborVersions(stack, project)).toEqual(left);
    // 1.1.0 was untagged, not deleted: its artifact stays under `stable`.
    expect((await stack.harbor.client.artifacts.get(project, 'alpha', alpha['1.1.0']!))!.tags!.map((t) => t.name)).toEqual(['stable']);
    await eventually('the catalogue archived the removed versions', async () => JSON.stringify(await liveVersions(stack, project)) === JSON.stringify(left));

    const audit = await stack.database.sql`select details->>'tag' as tag from modelregistry.audit_events where action = 'cleanup.version_removed' and details->>'runId' = ${real.id} order by tag`;
    expect(audit.map((a) => a.tag)).toEqual(['0.1.0', '1.1.0', '1.2.0']);
    const mine = (records: { value: string }[]) => records.map((r) => JSON.parse(r.value)).filter((e) => e.type === 'modelregistry.cleanup.version_removed' && e.data.runId === real.id);
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'three version_removed events',
      until: (records) => mine(records).length >= 3,
      never: { what: 'a fourth', check: (records) => mine(records).length > 3 && mine(records), forMs: 500 },
    });
    expect(mine(events).map((e) => `${e.data.model}:${e.data.tag}:${e.data.action}`).sort()).toEqual(['alpha:1.1.0:untag', 'alpha:1.2.0:delete', 'beta:0.1.0:delete']);

    const runs = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/runs?limit=1`));
    expect(runs.items.map((r: { id: string }) => r.id)).toEqual([real.id]);
    const older = await readJson(await stack.app.request(`/api/v1/projects/${project}/cleanup/runs?limit=1&cursor=${runs.nextCursor}`));
    expect(older.items.map((r: { id: string }) => r.id)).toEqual([dry.id]);
    await replayAndRecord(stack, real.workflowId, 'cleanup-run.json');
  });

  it('semi-automatic: waits for its approval (a second run meanwhile is 409), deletes after it; unapproved it expires deleting nothing', async () => {
    const { project, all } = await seededProject();
    await putPolicy(stack, project, { mode: 'semi-automatic', rules: [keepOne], approvalTimeoutHours: 1 });
    const run = await startRun(stack, project, { dryRun: false });
    const waiting = await runReaches(stack, project, run.id, 'awaiting_approval');
    expect(waiting.progress).toMatchObject({ status: 'awaiting_approval', total: 3, done: 0, approvalDeadline: expect.any(String) });

    const second = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs`, jsonRequest({ dryRun: false }));
    expect(second.status, await second.clone().text()).toBe(409);
    expect((await readJson(second)).activeRun).toBe(run.id);
    await expectNever('a deletion before the approval', async () => (await harborVersions(stack, project)).length !== all.length, { forMs: 1_000 });

    const approved = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/approve`, { method: 'POST' });
    expect(approved.status, await approved.clone().text()).toBe(200);
    // The answer says the run goes on, not the status it had when asked.
    expect(await readJson(approved)).toMatchObject({ status: 'running', approvedBy: expect.any(String), progress: { status: 'running' } });
    const done = await runReaches(stack, project, run.id, 'succeeded', 'failed');
    expect(done).toMatchObject({ status: 'succeeded', done: 3, approvedBy: expect.any(String) });
    expect(await harborVersions(stack, project)).toEqual(['alpha:1.0.0', 'alpha:2.0.0', 'alpha:stable', 'beta:0.2.0']);
    const again = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/approve`, { method: 'POST' });
    expect(again.status, await again.clone().text()).toBe(409);

    // Nobody approves within the 3 s this run waits: expired, nothing deleted.
    await pushVersions(stack, project, 'beta', ['0.3.0']);
    const unapproved = await startRun(stack, project, { dryRun: false, approvalTimeoutSeconds: 3 });
    const expired = await runReaches(stack, project, unapproved.id, 'expired');
    expect(expired.summary.removed).toEqual([]);
    expect(await harborVersions(stack, project)).toContain('beta:0.2.0');
  });

  it('keeps a candidate approved while its run awaited its approval: each is checked again just before it is removed', async () => {
    const { project, alpha } = await seededProject();
    await putPolicy(stack, project, { mode: 'semi-automatic', rules: [keepOne], approvalTimeoutHours: 1 });
    const run = await startRun(stack, project, { dryRun: false });
    await runReaches(stack, project, run.id, 'awaiting_approval');
    const approval = await stack.app.request(`/api/v1/models/${project}/alpha/versions/1.2.0/approval`, { method: 'POST' });
    expect(approval.status, await approval.clone().text()).toBe(200);

    const approved = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/approve`, { method: 'POST' });
    expect(approved.status, await approved.clone().text()).toBe(200);
    const done = await runReaches(stack, project, run.id, 'succeeded', 'failed');
    expect(done).toMatchObject({ status: 'succeeded', done: 3, summary: { kept: [{ model: 'alpha', tag: '1.2.0', digest: alpha['1.2.0'], protections: ['approved'] }] } });
    expect(done.summary.removed.map((r: { model: string; tag: string }) => `${r.model}:${r.tag}`).sort()).toEqual(['alpha:1.1.0', 'beta:0.1.0']);
    expect(await harborVersions(stack, project)).toEqual(['alpha:1.0.0', 'alpha:1.2.0', 'alpha:2.0.0', 'alpha:stable', 'beta:0.2.0']);
  });

  it('the cap stops a run at it; cancel stops a run after the current item', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('capped') });
    await pushVersions(stack, project, 'gamma', ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '1.4.0', '1.5.0']);
    await catalogued(stack, project, ['gamma:1.5.0']);
    await putPolicy(stack, project, { mode: 'automatic', rules: [{ ...keepOne, count: 3 }], maxDeletionsPerRun: 1 });
    const capped = await runReaches(stack, project, (await startRun(stack, project, { dryRun: false })).id, 'capped', 'succeeded');
    expect(capped).toMatchObject({ status: 'capped', total: 3, done: 1 });
    expect(capped.summary.removed).toHaveLength(1);
    expect(await harborVersions(stack, project)).toHaveLength(5);

    await putPolicy(stack, project, { mode: 'automatic', rules: [keepOne] });
    stack.harbor.emulator.faults.delayResponse('deleteArtifact', 3_000, 4);
    const run = await startRun(stack, project, { dryRun: false });
    await eventually('the first item removed', async () => (await getRun(stack, project, run.id)).progress?.done >= 1);
    const cancelled = await stack.app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/cancel`, { method: 'POST' });
    expect(cancelled.status).toBe(200);
    const ended = await runReaches(stack, project, run.id, 'cancelled', 'succeeded');
    expect(ended.status).toBe('cancelled');
    expect(ended.done).toBeLessThan(4);
    expect((await harborVersions(stack, project)).length).toBe(5 - ended.done);
  });
});
