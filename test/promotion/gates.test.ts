import { WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { promotionWorkflowId } from '../../lib/workflow-ids';
import { startOciRegistry } from '../servers/oci-registry';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { approve, copyArtifact, createRemote, promote, pushVersion, replayAndRecord, servedDigest, versionDetail } from './support';
import { historyText } from '../support/histories';

/**
 * Approval and the promotion's gates, its wait for an approval and the remote already serving the
 * version (someone copied it), against the emulated Harbor and a second real OCI registry.
 */
describe('approval and promotion gates', () => {
  let stack: TestStack;
  let remoteRegistry: Awaited<ReturnType<typeof startOciRegistry>>;
  let tenant: string;
  let project: string;
  let remote: string;
  const model = 'llama';
  const secret = `s3cr3t-${uniqueName('pw')}`;
  const types = async (type: string) =>
    (await readTopic(inject('kafkaBootstrap'), stack.topic, { what: type, until: (records) => records.some((r) => JSON.parse(r.value).type === type) })).map((r) => JSON.parse(r.value) as { type: string; subject: string; data: Record<string, unknown> });

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, captureLogs: true });
    remoteRegistry = await startOciRegistry();
    tenant = await createTenant(stack);
    ({ project } = await onboardProject(stack, tenant, { name: uniqueName('promo') }));
    remote = await createRemote(stack, tenant, uniqueName('prod'), remoteRegistry.url, { access_key: 'promoter', access_secret: secret });
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await remoteRegistry?.stop();
  });

  it('lets a maintainer approve and withdraw, never a developer nor the account that pushed the version', async () => {
    // Harbor names the account that pushed: here its admin, pushing with basic credentials.
    const v = await pushVersion(stack, project, model, { passing: true, signed: true, auth: { username: stack.harbor.emulator.username, password: stack.harbor.emulator.password } });
    const developer = bearer(await stack.auth.token({ username: 'dev', tenant, role: 'developer' }));
    const denied = await approve(stack, project, model, v.tag, developer);
    expect(denied.status).toBe(403);
    expect(await readJson(denied)).toMatchObject({ action: 'models.approve' });

    const pusher = bearer(await stack.auth.token({ username: stack.harbor.emulator.username, tenant, role: 'maintainer' }));
    const own = await approve(stack, project, model, v.tag, pusher);
    expect(own.status).toBe(403);
    const ownBody = await readJson(own);
    expect(ownBody).toMatchObject({ action: 'models.approve', reason: 'pusher' });
    expect(ownBody.detail).toContain('pushed');
    expect((await versionDetail(stack, project, model, v.tag)).approval).toMatchObject({ approved: false, approvedBy: null });

    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    const ok = await approve(stack, project, model, v.tag, maintainer);
    expect(ok.status, await ok.clone().text()).toBe(200);
    expect(await readJson(ok)).toMatchObject({ approved: true, digest: v.digest, approvedBy: 'mia' });
    expect((await versionDetail(stack, project, model, v.tag)).approval).toMatchObject({ approved: true, approvedBy: 'mia', digest: v.digest });
    const [row] = await stack.database.sql<{ subject: string }[]>`select approved_by_subject as subject from modelregistry.images where digest = ${v.digest}`;
    expect(row!.subject).toBeTruthy();
    const audit = await readJson(await stack.app.request(`/api/v1/models/${project}/${model}/audit`));
    expect(audit.events).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'model.approved', actor: 'mia', details: expect.objectContaining({ tag: v.tag, digest: v.digest }) })]));

    const withdrawn = await approve(stack, project, model, v.tag, maintainer, 'DELETE');
    expect(await readJson(withdrawn)).toMatchObject({ approved: false, approvedBy: null });
    const events = await types('modelregistry.model.approval_withdrawn');
    expect(events.filter((e) => e.type === 'modelregistry.model.approved' && e.data.tag === v.tag)).toHaveLength(1);
    expect((await approve(stack, project, model, '9.9.9', maintainer)).status).toBe(404);
  });

  it('refuses at once a version whose scan or signature gate fails, naming every failed gate', async () => {
    const gatesOf = async (tag: string) => {
      const res = await promote(stack, project, model, tag, { registry: remote });
      const body = await readJson(res);
      expect(res.status, JSON.stringify(body)).toBe(409);
      return body.failedGates;
    };
    const unsigned = await pushVersion(stack, project, model, { passing: true, signed: false });
    expect(await gatesOf(unsigned.tag)).toEqual(['signature']);
    const vulnerable = await pushVersion(stack, project, model, { passing: false, signed: true });
    expect(await gatesOf(vulnerable.tag)).toEqual(['scan']);
    const both = await pushVersion(stack, project, model, { passing: false, signed: false });
    expect(await gatesOf(both.tag)).toEqual(['scan', 'signature']);
    const unscanned = await pushVersion(stack, project, model, { passing: true, signed: true, scanned: false });
    expect(await gatesOf(unscanned.tag)).toEqual(['scan']);
    // Nothing was replicated for any of them.
    expect(stack.harbor.emulator.state.replicationPolicies.size).toBe(0);
  });

  it('refuses an unknown remote registry and another tenant\'s', async () => {
    const v = await pushVersion(stack, project, model, { passing: true, signed: true });
    expect((await promote(stack, project, model, v.tag, { registry: uniqueName('nowhere') })).status).toBe(404);
    const other = await createTenant(stack);
    const theirs = await createRemote(stack, other, uniqueName('theirs'), remoteRegistry.url);
    const res = await promote(stack, project, model, v.tag, { registry: theirs });
    expect(res.status).toBe(404);
    expect((await readJson(res)).title).toBe('Remote registry not found');
    const bad = await promote(stack, project, model, v.tag, { registry: remote, approvalTimeoutSeconds: 0, extra: 1 });
    expect(bad.status).toBe(400);
  });

  it('waits for an approval, visible as its progress, then completes; the remote already serving the digest is not copied again', async () => {
    const v = await pushVersion(stack, project, model, { passing: true, signed: true });
    // Someone copied the version there already: the promotion records it without a replication.
    await copyArtifact(stack.harbor.emulator.url, `${project}/${model}`, remoteRegistry.url, `${project}/${model}`, v.tag);
    const quick = stack.appWith({ mutationWaitMs: 300 });
    const started = await quick.request(`/api/v1/models/${project}/${model}/versions/${v.tag}/promotions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ registry: remote, approvalTimeoutSeconds: 600 }) });
    expect(started.status, await started.clone().text()).toBe(202);
    const handle = stack.client.workflow.getHandle(promotionWorkflowId(stack.registry, project, model, v.tag, remote));
    // The 202's operation shows what it waits for, as the caller sees it.
    const waiting = await eventually('the promotion waiting for an approval', async () => {
      const operation = await readJson(await stack.app.request(started.headers.get('location')!));
      return operation.progress?.stage === 'waiting-for-approval' && operation;
    });
    expect(waiting).toMatchObject({ status: 'running', kind: 'modelPromotionWorkflow', progress: { approvalDeadline: expect.any(String) } });

    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    expect((await approve(stack, project, model, v.tag, maintainer)).status).toBe(200);
    const result = await handle.result();
    expect(result).toMatchObject({ remote, remoteRepository: `${project}/${model}`, digest: v.digest, copied: false, executionId: null, status: 'present' });
    expect((await handle.query<{ stage: string }>('progress')).stage).toBe('completed');
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(0);
    await replayAndRecord(stack, handle.workflowId, 'promotion-approval-wait.json');
    expect((await versionDetail(stack, project, model, v.tag)).locations).toEqual([
      expect.objectContaining({ remoteRegistry: remote, remoteRepository: `${project}/${model}`, digest: v.digest, status: 'present', harborExecutionId: null }),
    ]);
    const listed = await readJson(await stack.app.request(`/api/v1/registries/${remote}/models`));
    expect(listed.items).toEqual(expect.arrayContaining([expect.objectContaining({ project, model, tag: v.tag, digest: v.digest, status: 'present' })]));

    // Again: present with the same digest, so it completes at once, with no execution and no second event.
    const again = await promote(stack, project, model, v.tag, { registry: remote });
    expect(again.status, await again.clone().text()).toBe(200);
    expect(await readJson(again)).toMatchObject({ copied: false, digest: v.digest, status: 'present' });
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(0);
    const promoted = (await types('modelregistry.model.promoted')).filter((e) => e.type === 'modelregistry.model.promoted' && e.data.digest === v.digest);
    expect(promoted).toHaveLength(1);
    expect(promoted[0]!.subject).toBe(`models/${stack.registry}/${project}/${model}/versions/${v.tag}`);
  });

  it('fails clearly when the approval deadline passes', async () => {
    const v = await pushVersion(stack, project, model, { passing: true, signed: true });
    const quick = stack.appWith({ mutationWaitMs: 300 });
    const started = await quick.request(`/api/v1/models/${project}/${model}/versions/${v.tag}/promotions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ registry: remote, approvalTimeoutSeconds: 2 }) });
    expect(started.status).toBe(202);
    const handle = stack.client.workflow.getHandle(promotionWorkflowId(stack.registry, project, model, v.tag, remote));
    const err = await handle.result().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(String((err as WorkflowFailedError).cause?.message)).toMatch(/no approval .* arrived before the deadline/);
    const operation = await readJson(await stack.app.request(started.headers.get('location')!));
    expect(operation).toMatchObject({ status: 'failed', problem: { status: 409, failedStep: 'wait-for-approval' } });
    expect((await handle.query<{ stage: string; failedStep: string }>('progress'))).toMatchObject({ stage: 'failed', failedStep: 'wait-for-approval' });
  });

  it('never overwrites a tag the remote serves with another digest', async () => {
    const v = await pushVersion(stack, project, model, { passing: true, signed: true });
    const elsewhere = await pushVersion(stack, project, 'other', { passing: true, signed: false });
    // The remote's tag of that name now holds another artifact.
    await copyArtifact(stack.harbor.emulator.url, `${project}/other`, remoteRegistry.url, `${project}/${model}`, elsewhere.tag, v.tag);
    expect(await servedDigest(remoteRegistry.url, `${project}/${model}`, v.tag)).toBe(elsewhere.digest);
    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    expect((await approve(stack, project, model, v.tag, maintainer)).status).toBe(200);
    const res = await promote(stack, project, model, v.tag, { registry: remote });
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(409);
    expect(body).toMatchObject({ failedStep: 'check-remote' });
    expect(await servedDigest(remoteRegistry.url, `${project}/${model}`, v.tag)).toBe(elsewhere.digest);
    expect((await versionDetail(stack, project, model, v.tag)).locations).toEqual([expect.objectContaining({ remoteRegistry: remote, status: 'mismatch', digest: elsewhere.digest })]);
  });

  it('keeps the remote registry\'s secret out of histories, logs and answers', async () => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowType = 'modelPromotionWorkflow' AND ProjectName = '${project}'` })) ids.push(`${wf.workflowId} ${wf.runId}`);
    expect(ids.length).toBeGreaterThan(0);
    const histories = await Promise.all(ids.map((id) => stack.client.workflow.getHandle(id.split(' ')[0]!, id.split(' ')[1]).fetchHistory()));
    expect(historyText(histories)).not.toContain(secret);
    expect(stack.logs.join('\n')).not.toContain(secret);
    expect(JSON.stringify(await readJson(await stack.app.request(`/api/v1/registries/${remote}/models`)))).not.toContain(secret);
  });
});
