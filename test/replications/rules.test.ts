import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ruleSyncScheduleId } from '../../lib/workflow-ids';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject, startStackWithProject } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('replication rules', () => {
  let stack: TestStack;
  let tenant: string;
  let project: string;
  let other: string;
  const remote = uniqueName('dr');
  const foreign = uniqueName('foreign');
  let harborRegistryId: number;
  const rules = () => `/api/v1/projects/${project}/replications`;
  const policyNamed = async (name: string) => (await stack.harbor.client.replication.listPolicies(name)).find((p) => p.name === name);
  const createRemote = async (body: Record<string, unknown>) => {
    const res = await stack.app.request('/api/v1/registries', jsonRequest({ type: 'docker-registry', url: stack.harbor.registryUrl, ...body }));
    expect(res.status, await res.clone().text()).toBe(201);
    return readJson(res);
  };
  /** The fields a 400 problem names. */
  const fieldsOf = async (res: Response) => {
    expect(res.status).toBe(400);
    return [...new Set(((await readJson(res)).errors as { field: string }[]).map((e) => e.field))].sort();
  };

  beforeAll(async () => {
    ({ stack, tenant, project } = await startStackWithProject('repl'));
    other = await createTenant(stack);
    harborRegistryId = (await createRemote({ name: remote, tenant })).harborRegistryId;
    await createRemote({ name: foreign, tenant: other });
  }, 120_000);
  afterAll(() => stack?.close());

  it('creates push and pull rules as Harbor policies, lists, reads, changes and deletes them, audited and published', async () => {
    const push = await stack.app.request(rules(), jsonRequest({
      name: 'to-dr', direction: 'push', registry: remote, remoteNamespace: 'mirror', trigger: 'event_based',
      filters: { name: 'llama-*', tag: '0.1.*', label: 'approved' }, replicateDeletion: true, override: true, bandwidthKbps: 1024, description: 'disaster recovery',
    }));
    const pushed = await readJson(push);
    expect(push.status, JSON.stringify(pushed)).toBe(201);
    expect(pushed).toMatchObject({ name: 'to-dr', project, direction: 'push', remoteRegistry: remote, remoteNamespace: 'mirror', trigger: 'event_based', cron: null, filters: { name: 'llama-*', tag: '0.1.*', label: 'approved' }, replicateDeletion: true, override: true, bandwidthKbps: 1024, enabled: true });
    expect(await stack.harbor.client.replication.getPolicy(pushed.harborPolicyId)).toMatchObject({
      name: `${project}.to-dr`,
      dest_registry: { id: harborRegistryId },
      dest_namespace: 'mirror',
      dest_namespace_replace_count: 1,
      trigger: { type: 'event_based' },
      filters: [{ type: 'name', value: `${project}/llama-*` }, { type: 'tag', value: '0.1.*', decoration: 'matches' }, { type: 'label', value: ['approved'], decoration: 'matches' }],
      replicate_deletion: true,
      override: true,
      speed: 1024,
      enabled: true,
    });

    const pull = await stack.app.request(rules(), jsonRequest({ name: 'from-upstream', direction: 'pull', registry: remote, trigger: 'scheduled', cron: '0 0 2 * * *', filters: { tag: 'latest' } }));
    const pulled = await readJson(pull);
    expect(pull.status, JSON.stringify(pulled)).toBe(201);
    expect(pulled).toMatchObject({ remoteNamespace: project, trigger: 'scheduled', cron: '0 0 2 * * *', bandwidthKbps: -1, replicateDeletion: false, override: false });
    const pullPolicy = await stack.harbor.client.replication.getPolicy(pulled.harborPolicyId);
    expect(pullPolicy).toMatchObject({ src_registry: { id: harborRegistryId }, dest_namespace: project, trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 2 * * *' } }, filters: [{ type: 'name', value: `${project}/**` }, { type: 'tag', value: 'latest' }] });
    // Harbor answers the local side of a policy as the registry `Local` (id 0).
    expect(pullPolicy?.dest_registry).toMatchObject({ id: 0, name: 'Local' });

    expect((await stack.app.request(rules(), jsonRequest({ name: 'to-dr', direction: 'push', registry: remote }))).status).toBe(409);
    const page = await readJson(await stack.app.request(`${rules()}?limit=1`));
    expect(page.items.map((r: { name: string }) => r.name)).toEqual(['from-upstream']);
    const next = await readJson(await stack.app.request(`${rules()}?limit=1&cursor=${page.nextCursor}`));
    expect(next.items.map((r: { name: string }) => r.name)).toEqual(['to-dr']);
    expect(await readJson(await stack.app.request(`${rules()}/to-dr`))).toEqual(pushed);

    // Switching to scheduled needs a cron the rule does not have yet.
    expect(await fieldsOf(await stack.app.request(`${rules()}/to-dr`, jsonRequest({ trigger: 'scheduled' }, {}, 'PATCH')))).toEqual(['body.cron']);
    // A cron alone, for a rule that stays event-based: refused as a create refuses it (it was taken and dropped).
    expect(await fieldsOf(await stack.app.request(`${rules()}/to-dr`, jsonRequest({ cron: '0 30 * * * *' }, {}, 'PATCH')))).toEqual(['body.cron']);
    const patched = await stack.app.request(`${rules()}/to-dr`, jsonRequest({ trigger: 'scheduled', cron: '0 30 * * * *', filters: { tag: '1.*' }, enabled: false }, {}, 'PATCH'));
    expect(patched.status).toBe(200);
    expect(await readJson(patched)).toMatchObject({ trigger: 'scheduled', cron: '0 30 * * * *', filters: { tag: '1.*' }, enabled: false, remoteNamespace: 'mirror', override: true });
    expect(await stack.harbor.client.replication.getPolicy(pushed.harborPolicyId)).toMatchObject({
      id: pushed.harborPolicyId,
      trigger: { type: 'scheduled', trigger_settings: { cron: '0 30 * * * *' } },
      filters: [{ type: 'name', value: `${project}/**` }, { type: 'tag', value: '1.*' }],
      dest_namespace: 'mirror',
      enabled: false,
    });
    const disabled = await stack.app.request(`${rules()}/to-dr/executions`, { method: 'POST' });
    expect(disabled.status).toBe(409);
    expect((await readJson(disabled)).detail).toMatch(/disabled/);

    const removed = await stack.app.request(`${rules()}/from-upstream`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await stack.app.request(`${rules()}/from-upstream`)).status).toBe(404);
    expect(await policyNamed(`${project}.from-upstream`)).toBeUndefined();
    // The name is free again.
    expect((await stack.app.request(rules(), jsonRequest({ name: 'from-upstream', direction: 'pull', registry: remote }))).status).toBe(201);

    const resource = (rule: string) => `replications/${stack.registry}/${project}/${rule}`;
    const audit = await stack.database.sql`select action, actor from modelregistry.audit_events where resource in ${stack.database.sql([resource('to-dr'), resource('from-upstream')])} order by occurred_at`;
    expect(audit.map((a) => a.action)).toEqual(['replication.created', 'replication.created', 'replication.updated', 'replication.deleted', 'replication.created']);
    const mine = (records: { key: string; value: string }[]) => records.filter((e) => e.key === resource('to-dr') || e.key === resource('from-upstream'));
    const events = mine(await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the rule events', until: (records) => mine(records).length >= 5 }));
    expect(events.map((e) => JSON.parse(e.value).type)).toEqual(['created', 'created', 'updated', 'deleted', 'created'].map((c) => `modelregistry.replication.${c}`));
  });

  it('answers bad rules with a 400 problem naming the field', async () => {
    const create = (body: Record<string, unknown>) => stack.app.request(rules(), jsonRequest({ name: uniqueName('r'), direction: 'push', registry: remote, ...body }));
    expect(await fieldsOf(await create({ trigger: 'scheduled' }))).toEqual(['body.cron']);
    expect(await fieldsOf(await create({ trigger: 'scheduled', cron: '0 2 * * *' }))).toEqual(['body.cron']);
    expect(await fieldsOf(await create({ trigger: 'scheduled', cron: '0 61 * * * *' }))).toEqual(['body.cron']);
    expect(await fieldsOf(await create({ trigger: 'manual', cron: '0 0 2 * * *' }))).toEqual(['body.cron']);
    expect(await fieldsOf(await create({ direction: 'sideways' }))).toEqual(['body.direction']);
    expect(await fieldsOf(await create({ name: 'a.b' }))).toEqual(['body.name']);
    expect(await fieldsOf(await create({ bandwidthKbps: -2 }))).toEqual(['body.bandwidthKbps']);
    expect(await fieldsOf(await create({ filters: { tag: 'a\u0000' } }))).toEqual(['body.filters.tag']);
    const unknown = await create({ registry: uniqueName('nowhere') });
    expect(await fieldsOf(unknown.clone())).toEqual(['body.registry']);
    expect((await readJson(unknown)).detail).toMatch(/no remote registry/);
    // Another tenant's remote registry is as invisible as one that does not exist.
    expect(await fieldsOf(await create({ registry: foreign }))).toEqual(['body.registry']);
    expect(await fieldsOf(await stack.app.request(`${rules()}/to-dr`, jsonRequest({}, {}, 'PATCH')))).toEqual(['body']);
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('ghost')}/replications`)).status).toBe(404);
    expect((await stack.app.request(`${rules()}/${uniqueName('ghost')}`)).status).toBe(404);
  });

  it('isolates tenants and guards rules with registries.read and registries.write', async () => {
    const outsider = bearer(await stack.auth.token({ username: 'outsider', tenant: other, role: 'admin' }));
    expect((await stack.app.request(rules(), { headers: outsider })).status).toBe(404);
    expect((await stack.app.request(rules(), jsonRequest({ name: 'x', direction: 'push', registry: foreign }, outsider))).status).toBe(404);
    expect((await stack.app.request(`${rules()}/to-dr`, { method: 'DELETE', headers: outsider })).status).toBe(404);

    const guest = bearer(await stack.auth.token({ username: 'guest', tenant, role: 'guest' }));
    const denied = await stack.app.request(rules(), { headers: guest });
    expect(denied.status).toBe(403);
    expect((await readJson(denied)).action).toBe('registries.read');

    const developer = bearer(await stack.auth.token({ username: 'dev', tenant, role: 'developer' }));
    expect((await stack.app.request(`${rules()}/to-dr`, { headers: developer })).status).toBe(200);
    const write = await stack.app.request(rules(), jsonRequest({ name: 'dev-rule', direction: 'push', registry: remote }, developer));
    expect(write.status).toBe(403);
    expect((await readJson(write)).action).toBe('registries.write');
    expect((await stack.app.request(`${rules()}/to-dr/executions`, { method: 'POST', headers: developer })).status).toBe(403);

    // A tenant administrator may use a shared remote registry.
    const shared = uniqueName('shared');
    await createRemote({ name: shared });
    const admin = bearer(await stack.auth.token({ username: 'boss', tenant, role: 'admin' }));
    const made = await stack.app.request(rules(), jsonRequest({ name: 'to-shared', direction: 'push', registry: shared }, admin));
    expect(made.status, await made.clone().text()).toBe(201);
    expect(await readJson(made)).toMatchObject({ remoteRegistry: shared });
  });

  it('refuses (409) deleting a remote registry our rules use, and with force=true deletes those rules first', async () => {
    const used = uniqueName('used');
    await createRemote({ name: used, tenant });
    const made = await readJson(await stack.app.request(rules(), jsonRequest({ name: 'to-used', direction: 'push', registry: used })));
    const refused = await stack.app.request(`/api/v1/registries/${used}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect(await readJson(refused)).toMatchObject({ rules: [`${project}/to-used`] });
    expect(await stack.harbor.client.replication.getPolicy(made.harborPolicyId)).toMatchObject({ name: `${project}.to-used` });

    const forced = await stack.app.request(`/api/v1/registries/${used}?force=true`, { method: 'DELETE' });
    expect(forced.status, await forced.clone().text()).toBe(200);
    expect((await stack.app.request(`${rules()}/to-used`)).status).toBe(404);
    expect(await policyNamed(`${project}.to-used`)).toBeUndefined();
    expect((await stack.app.request(`/api/v1/registries/${used}`)).status).toBe(404);
    const [audit] = await stack.database.sql`select details from modelregistry.audit_events where resource = ${`replications/${stack.registry}/${project}/to-used`} and action = 'replication.deleted'`;
    expect(audit!.details).toMatchObject({ forcedBy: `registries/${stack.registry}/${used}` });
  });

  it('onboards a project with replication rules, and deletes their Harbor policies when a later step fails', async () => {
    const { project: withRules, projectId } = await onboardProject(stack, tenant, { replications: [{ name: 'dr', direction: 'push', registry: remote, filters: { tag: '1.*' } }, { name: 'up', direction: 'pull', registry: remote, trigger: 'event_based' }] });
    const rows = await stack.database.sql`select name, direction, harbor_policy_id from modelregistry.replication_rules where project_id = ${projectId} and not is_archived order by name`;
    expect(rows.map((r) => [r.name, r.direction])).toEqual([['dr', 'push'], ['up', 'pull']]);
    expect(await policyNamed(`${withRules}.dr`)).toMatchObject({ id: rows[0]!.harbor_policy_id, dest_namespace: withRules, filters: [{ type: 'name', value: `${withRules}/**` }, { type: 'tag', value: '1.*' }] });
    expect(await policyNamed(`${withRules}.up`)).toMatchObject({ src_registry: { id: harborRegistryId }, trigger: { type: 'event_based' } });
    expect((await readJson(await stack.app.request(`/api/v1/projects/${withRules}/replications`))).items).toHaveLength(2);
    // The pull rule has its synchronization Schedule, the push rule none.
    const ruleRows = await stack.database.sql<{ id: string }[]>`select id from modelregistry.replication_rules where project_id = ${projectId} and not is_archived order by name`;
    expect((await stack.client.schedule.getHandle(ruleSyncScheduleId(ruleRows[1]!.id)).describe()).action).toMatchObject({ workflowType: 'scheduledSyncWorkflow' });
    await expect(stack.client.schedule.getHandle(ruleSyncScheduleId(ruleRows[0]!.id)).describe()).rejects.toThrow();

    const failing = uniqueName('saga');
    stack.harbor.emulator.faults.failNext('CreateRobot', 403);
    const res = await stack.app.request('/api/v1/projects', jsonRequest({ name: failing, display_name: failing, tenantId: tenant, robot: true, replications: [{ name: 'dr', direction: 'push', registry: remote }] }));
    const problem = await readJson(res);
    expect(res.status, JSON.stringify(problem)).toBe(502);
    expect(problem).toMatchObject({ failedStep: 'create-robot', notCompensated: [] });
    expect(problem.compensated).toContain('create-replication-policy:dr');
    expect(await policyNamed(`${failing}.dr`)).toBeUndefined();
    expect(stack.harbor.emulator.state.projects.has(failing)).toBe(false);

    const refused = await stack.app.request('/api/v1/projects', jsonRequest({ name: uniqueName('p'), display_name: 'x', tenantId: tenant, replications: [{ name: 'dr', direction: 'push', registry: foreign }] }));
    expect(await fieldsOf(refused)).toEqual(['body.replications.0.registry']);
    const twice = await stack.app.request('/api/v1/projects', jsonRequest({ name: uniqueName('p'), display_name: 'x', tenantId: tenant, replications: [{ name: 'dr', direction: 'push', registry: remote }, { name: 'dr', direction: 'pull', registry: remote }] }));
    expect(await fieldsOf(twice)).toEqual(['body.replications.1.name']);
    await eventually('no policy left of the refused onboardings', async () => (await stack.harbor.client.replication.listPolicies()).every((p) => !p.name?.endsWith('.dr') || p.name === `${withRules}.dr`));
  });

  it("puts Harbor's policy back when a rule's row cannot follow a change", async () => {
    const made = await stack.app.request(rules(), jsonRequest({ name: 'undo-me', direction: 'push', registry: remote, description: 'before', filters: { tag: '1.*' } }));
    expect(made.status, await made.clone().text()).toBe(201);
    const { harborPolicyId, id } = await readJson(made);
    // Harbor takes its time with the update; meanwhile the rule is deleted in the catalogue, so the row cannot follow.
    stack.harbor.emulator.faults.delayResponse('updateReplicationPolicy', 1_500);
    const patching = stack.app.request(`${rules()}/undo-me`, jsonRequest({ description: 'after', filters: { tag: '2.*' } }, {}, 'PATCH'));
    await eventually("Harbor's policy changed", async () => (await stack.harbor.client.replication.getPolicy(harborPolicyId))?.description === 'after');
    await stack.database.sql`update modelregistry.replication_rules set is_archived = true where id = ${id}`;
    const res = await patching;
    expect(res.status, await res.clone().text()).toBe(404);
    expect(await readJson(res)).toMatchObject({ failedStep: 'save-rule', compensated: ['update-harbor-policy'] });
    expect(await stack.harbor.client.replication.getPolicy(harborPolicyId)).toMatchObject({ description: 'before', filters: expect.arrayContaining([expect.objectContaining({ type: 'tag', value: '1.*' })]) });
  });
});
