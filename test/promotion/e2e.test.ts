import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startOciRegistry } from '../servers/oci-registry';
import { bearer } from '../support/auth';
import { readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { approvalWorkflowId, promotionWorkflowId } from '../../lib/workflow-ids';
import { approve, createRemote, promote, pushVersion, replayAndRecord, servedDigest, versionDetail } from './support';

/**
 * Push (signed, scanned) → approve → promote: Harbor (the emulator, copying for real) pushes the
 * version to a second real OCI registry that wants Basic credentials, and the remote serves it
 * with the same digest.
 */
describe('promotion end to end', () => {
  let stack: TestStack;
  let remoteRegistry: Awaited<ReturnType<typeof startOciRegistry>>;
  let tenant: string;
  let project: string;
  let remote: string;
  const model = 'bert';
  const auth = { username: 'promoter', password: `s3cr3t-${uniqueName('pw')}` };

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true, captureLogs: true });
    remoteRegistry = await startOciRegistry({ auth });
    tenant = await createTenant(stack);
    ({ project } = await onboardProject(stack, tenant, { name: uniqueName('e2e') }));
    remote = await createRemote(stack, tenant, uniqueName('prod'), remoteRegistry.url, { access_key: auth.username, access_secret: auth.password });
  }, 180_000);
  afterAll(async () => {
    await stack?.close();
    await remoteRegistry?.stop();
  });

  it('copies an approved version to the remote registry, verifies the digest there and records the location; a retry copies nothing', async () => {
    const v = await pushVersion(stack, project, model, { passing: true, signed: true });
    const maintainer = bearer(await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
    expect((await approve(stack, project, model, v.tag, maintainer)).status).toBe(200);
    expect(await servedDigest(remoteRegistry.url, `${project}/${model}`, v.tag, auth)).toBeNull();

    const res = await promote(stack, project, model, v.tag, { registry: remote, namespace: 'released' });
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(200);
    expect(body).toMatchObject({ project, model, tag: v.tag, remote, remoteRepository: `released/${model}`, digest: v.digest, copied: true, status: 'present' });
    // The remote registry itself serves the tag with the same digest.
    expect(await servedDigest(remoteRegistry.url, `released/${model}`, v.tag, auth)).toBe(v.digest);

    const [execution] = await stack.database.sql<{ id: string; purpose: string; status: string; harbor_execution_id: number }[]>`
      select id, purpose, status, harbor_execution_id from modelregistry.replication_executions where id = ${body.executionId}`;
    expect(execution).toMatchObject({ purpose: 'promotion', status: 'Succeed' });
    // The one-off policy is gone from Harbor.
    expect([...stack.harbor.emulator.state.replicationPolicies.values()].filter((p) => p.name?.startsWith('promotion-'))).toEqual([]);
    expect((await versionDetail(stack, project, model, v.tag)).locations).toEqual([
      expect.objectContaining({ remoteRegistry: remote, remoteRepository: `released/${model}`, digest: v.digest, status: 'present', harborExecutionId: execution!.harbor_execution_id }),
    ]);
    const listed = await readJson(await stack.app.request(`/api/v1/registries/${remote}/models`));
    expect(listed.items).toEqual([expect.objectContaining({ project, model, tag: v.tag, digest: v.digest, status: 'present', remoteRepository: `released/${model}` })]);

    await replayAndRecord(stack, promotionWorkflowId(stack.registry, project, model, v.tag, remote), 'promotion.json');
    await replayAndRecord(stack, approvalWorkflowId(stack.registry, project, model, v.tag), 'approval.json');

    const executions = stack.harbor.emulator.state.replicationExecutions.size;
    const again = await promote(stack, project, model, v.tag, { registry: remote, namespace: 'released' });
    expect(again.status).toBe(200);
    expect(await readJson(again)).toMatchObject({ copied: false, executionId: body.executionId, digest: v.digest });
    expect(stack.harbor.emulator.state.replicationExecutions.size).toBe(executions);

    const promoted = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the promoted event',
      until: (records) => records.some((r) => JSON.parse(r.value).type === 'modelregistry.model.promoted'),
      never: { what: 'a second promoted event', check: (records) => records.filter((r) => JSON.parse(r.value).type === 'modelregistry.model.promoted').length > 1, forMs: 1000 },
    });
    const event = promoted.map((r) => JSON.parse(r.value)).find((e) => e.type === 'modelregistry.model.promoted');
    expect(event).toMatchObject({ subject: `models/${stack.registry}/${project}/${model}/versions/${v.tag}`, data: { digest: v.digest, remote, copied: true } });
    // Its execution's end is announced once, though the promotion wrote the final status before the execution's follower read it.
    const subject = `replication-executions/${stack.registry}/${execution!.harbor_execution_id}`;
    const finished = (records: { value: string }[]) => records.map((r) => JSON.parse(r.value)).filter((e) => e.type === 'modelregistry.replication_execution.finished' && e.subject === subject);
    const announced = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: "the execution's end",
      until: (records) => finished(records).length > 0,
      never: { what: 'a second announcement', check: (records) => finished(records).length > 1, forMs: 1000 },
    });
    expect(finished(announced)).toEqual([expect.objectContaining({ data: { execution: expect.objectContaining({ status: 'Succeed', purpose: 'promotion' }) } })]);
    expect(JSON.stringify(promoted.map((r) => r.value))).not.toContain(auth.password);
    expect(stack.logs.join('\n')).not.toContain(auth.password);
  });
});
