import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { projectWorkflowId } from '../../lib/workflow-ids';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('project onboarding as a saga (real Temporal, PostgreSQL, Kafka; Harbor emulator)', () => {
  let stack: TestStack, tenant: string;
  beforeAll(async () => { ({ stack, tenant } = await startStackWithTenant()); });
  afterAll(() => stack.close());

  const onboard = (body: Record<string, unknown>, app = stack.app) => app.request('/api/v1/projects', jsonRequest({ display_name: 'A project', tenantId: tenant, ...body }));
  const emulated = (name: string) => stack.harbor.emulator.state.projects.get(name);

  it('onboards: Harbor project with settings and quota, members, webhook with auth header, robot, catalogue row, one event', async () => {
    const name = uniqueName('proj');
    const res = await onboard({
      name,
      display_name: 'My First Project',
      description: 'This is my initial project setup.',
      public: true,
      storage_limit: 5 * 1024 ** 3,
      members: [
        { group: `${name}-developers`, role: 'developer' },
        { group: `${name}-admins`, role: 'projectAdmin' },
      ],
      robot: { name: 'ci', durationDays: 30 },
      settings: { severity: 'critical' },
    });
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created).toMatchObject({
      name,
      displayName: 'My First Project',
      description: 'This is my initial project setup.',
      public: true,
      tenantId: tenant,
      registry: stack.registry,
      storageLimit: 5 * 1024 ** 3,
      settings: { autoScan: true, contentTrustCosign: true, preventVulnerable: true, severity: 'critical' },
      archived: false,
    });

    const harbor = emulated(name)!;
    expect(harbor.project.metadata).toMatchObject({ public: 'true', auto_scan: 'true', enable_content_trust_cosign: 'true', prevent_vul: 'true', severity: 'critical' });
    expect(harbor.storageLimit).toBe(5 * 1024 ** 3);
    expect(created.harborId).toBe(harbor.project.project_id);
    expect(harbor.members.filter((m) => m.entity_type === 'g').map((m) => [m.entity_name, m.role_id]).sort()).toEqual([
      [`${name}-admins`, 1],
      [`${name}-developers`, 2],
    ]);
    expect(harbor.webhookPolicies).toHaveLength(1);
    const [target] = harbor.webhookPolicies[0]!.targets!;
    expect(target).toMatchObject({ address: stack.webhookSink.url, payload_format: 'Default' });
    expect(target!.auth_header).toMatch(/^Bearer [A-Za-z0-9_-]{40,}$/);
    expect(harbor.webhookPolicies[0]!.event_types).toEqual(expect.arrayContaining(['PUSH_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'QUOTA_EXCEED', 'REPLICATION']));

    // The robot's secret is revealed once, and is the one Harbor issued.
    const robots = [...stack.harbor.emulator.state.robots.values()].filter((r) => r.projectId === harbor.project.project_id);
    expect(robots.map((r) => r.name)).toEqual([`robot$${name}+ci`]);
    expect(created.robot).toMatchObject({ name: `robot$${name}+ci`, secret: robots[0]!.secret });

    // Catalogue: the row, with the webhook secret sealed, and the robot secret sealed.
    const [row] = await stack.database.sql`select webhook_secret, tenant_id from modelregistry.projects where name = ${name}`;
    expect(row!.tenant_id).toBe(tenant);
    expect(stack.deps.secrets.open(row!.webhook_secret as string)).toBe(target!.auth_header!.slice('Bearer '.length));
    const [robotRow] = await stack.database.sql`select secret from modelregistry.robot_accounts r join modelregistry.projects p on p.id = r.project_id where p.name = ${name}`;
    expect(robotRow!.secret).not.toContain(robots[0]!.secret!);
    expect(stack.deps.secrets.open(robotRow!.secret as string)).toBe(robots[0]!.secret);

    // Secrets never appear in clear in the workflow history.
    const history = JSON.stringify(await stack.client.workflow.getHandle(projectWorkflowId(stack.registry, name)).fetchHistory());
    expect(history).not.toContain(robots[0]!.secret!);
    expect(history).not.toContain(target!.auth_header!.slice('Bearer '.length));

    // Exactly one CloudEvent, without secrets.
    const mine = (records: ConsumedRecord[]) => records.filter((e) => e.key === `projects/${stack.registry}/${name}`);
    const events = mine(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the onboarding event',
      until: (records) => mine(records).length >= 1,
      never: { what: 'a second event of the project', check: (records) => mine(records).length > 1 && mine(records), forMs: 1000 },
    }));
    expect(events).toHaveLength(1);
    const event = JSON.parse(events[0]!.value);
    expect(event).toMatchObject({ specversion: '1.0', type: 'modelregistry.project.created', subject: `projects/${stack.registry}/${name}`, data: { name, tenantId: tenant } });
    expect(events[0]!.value).not.toContain(robots[0]!.secret!);
    // Its robot announced as the robots API's are, under the robot's key, without its secret.
    const robotKey = `projects/${stack.registry}/${name}/robots/ci`;
    const robotEvents = (await readTopic(inject('kafkaBootstrap'), stack.topic, { what: "the robot's event", until: (records) => records.some((r) => r.key === robotKey) })).filter((r) => r.key === robotKey);
    expect(robotEvents).toHaveLength(1);
    expect(JSON.parse(robotEvents[0]!.value)).toMatchObject({ type: 'modelregistry.robot.created', data: { project: name, robot: `robot$${name}+ci`, onboarding: true } });
    expect(robotEvents[0]!.value).not.toContain(robots[0]!.secret!);

    // Listed and readable.
    const read = await readJson(await stack.app.request(`/api/v1/projects/${name}`));
    expect(read).toMatchObject({ id: created.id, name, harbor: { repoCount: 0, quotaHard: 5 * 1024 ** 3, quotaUsed: 0 } });
    expect(read.robot).toBeUndefined();
  });

  it('answers 400 for invalid input before any side effect', async () => {
    for (const [body, field] of [
      [{ name: 'Bad Name' }, 'body.name'],
      // Harbor's project rule, stricter than the resource rule (found by fuzzing the stack: a 502 after compensation).
      [{ name: 'acme.' }, 'body.name'],
      [{ name: 'a--b' }, 'body.name'],
      [{ name: 'ok-name', tenantId: 'Nope!' }, 'body.tenantId'],
      [{ name: 'ok-name', members: [{ group: 'g', role: 'owner' }] }, 'body.members.0.role'],
      [{ name: 'ok-name', storage_limit: -5 }, 'body.storage_limit'],
      [{ name: 'ok-name', settings: { severity: 'extreme' } }, 'body.settings.severity'],
    ] as const) {
      const res = await onboard(body);
      expect(res.status, field).toBe(400);
      expect((await readJson(res)).errors.map((e: { field: string }) => e.field), field).toContain(field);
    }
    const unknownRegistry = await onboard({ name: uniqueName('p'), registry: 'elsewhere.example' });
    expect(unknownRegistry.status).toBe(400);
    expect((await readJson(unknownRegistry)).errors[0].field).toBe('body.registry');
  });

  it('answers 404 for an unknown tenant and creates nothing', async () => {
    const name = uniqueName('orphan');
    const res = await onboard({ name, tenantId: uniqueName('ghost') });
    expect(res.status).toBe(404);
    expect((await readJson(res)).detail).toMatch(/tenant .* does not exist/);
    expect(emulated(name)).toBeUndefined();
  });

  it('answers 409 when the project exists in the catalogue or in Harbor', async () => {
    const name = uniqueName('twice');
    expect((await onboard({ name })).status).toBe(201);
    const again = await onboard({ name });
    expect(again.status).toBe(409);
    const outside = uniqueName('outside');
    await stack.harbor.client.projects.create({ project_name: outside });
    const clash = await onboard({ name: outside });
    expect(clash.status).toBe(409);
    expect((await readJson(clash)).detail).toMatch(/already exists/);
    // The pre-existing Harbor project is left alone.
    expect(emulated(outside)).toBeDefined();
  });

  it.each([
    ['createProjectMember', 'add-members'],
    ['CreateWebhookPolicyOfProject', 'create-webhook-policy'],
    ['CreateRobot', 'create-robot'],
  ])('undoes every earlier step when %s fails for good', async (operationId, step) => {
    const name = uniqueName('saga');
    stack.harbor.emulator.faults.failNext(operationId, 403);
    const res = await onboard({ name, members: [{ group: `${name}-devs`, role: 'developer' }], robot: true });
    expect(res.status).toBe(502);
    const problem = await readJson(res);
    expect(problem.failedStep).toBe(step);
    expect(problem.notCompensated).toEqual([]);
    expect(emulated(name)).toBeUndefined();
    const rows = await stack.database.sql`select 1 from modelregistry.projects where name = ${name}`;
    expect(rows).toHaveLength(0);
    // The operation keeps the failure for later readers.
    const operation = await readJson(await stack.app.request(`/api/v1/operations/${res.headers.get('x-operation-id')}`));
    expect(operation).toMatchObject({ status: 'failed', problem: { status: 502, failedStep: step } });
    stack.harbor.emulator.faults.reset();
  });

  it('undoes the Harbor side when creating the Harbor project itself fails for good', async () => {
    const name = uniqueName('saga');
    stack.harbor.emulator.faults.failNext('createProject', 403);
    const res = await onboard({ name });
    expect(res.status).toBe(502);
    expect(await readJson(res)).toMatchObject({ failedStep: 'create-harbor-project', notCompensated: [] });
    expect(emulated(name)).toBeUndefined();
    stack.harbor.emulator.faults.reset();
  });

  it('undoes every Harbor step when the catalogue write fails for good (the tenant vanished meanwhile)', async () => {
    const doomed = await createTenant(stack, { name: uniqueName('doomed') });
    const name = uniqueName('saga');
    // Hold Harbor's answer to the webhook step long enough to remove the tenant underneath.
    stack.harbor.emulator.faults.delayResponse('CreateWebhookPolicyOfProject', 1500);
    const pending = onboard({ name, tenantId: doomed, members: [{ group: `${name}-devs`, role: 'developer' }] });
    await eventually('the project in Harbor', () => emulated(name), { timeoutMs: 2000, intervalMs: 20 });
    await stack.database.sql`delete from modelregistry.tenants where name = ${doomed}`;
    const res = await pending;
    expect(res.status).toBe(404);
    expect(await readJson(res)).toMatchObject({ failedStep: 'write-catalogue', compensated: ['write-catalogue', 'create-webhook-policy', 'add-members', 'create-harbor-project'], notCompensated: [] });
    expect(emulated(name)).toBeUndefined();
    stack.harbor.emulator.faults.reset();
  });

  it('completes despite transient Harbor 5xx and 429 (Temporal retries them)', async () => {
    const name = uniqueName('flaky');
    stack.harbor.emulator.faults.failNext('createProject', 503, 2).failNext('CreateWebhookPolicyOfProject', 429, 1, 1).failNext('headProject', 500, 1);
    const res = await onboard({ name, members: [{ group: `${name}-devs`, role: 'guest' }] });
    expect(res.status).toBe(201);
    expect(emulated(name)?.webhookPolicies).toHaveLength(1);
    expect(stack.harbor.emulator.state.projects.has(name)).toBe(true);
  });

  it('refuses, and leaves alone, a Harbor project of the same name that someone else created meanwhile', async () => {
    const name = uniqueName('theirs');
    await stack.harbor.client.projects.create({ project_name: name });
    const theirs = emulated(name)!.project.project_id;
    // Harbor's existence check answers as if before the other project appeared: onboarding meets it only at creation (409).
    stack.harbor.emulator.faults.failNext('headProject', 404);
    const res = await onboard({ name });
    expect(res.status).toBe(409);
    expect(await readJson(res)).toMatchObject({ failedStep: 'create-harbor-project' });
    expect(emulated(name)?.project.project_id).toBe(theirs);
    expect(await stack.database.sql`select 1 from modelregistry.projects where name = ${name}`).toHaveLength(0);
    stack.harbor.emulator.faults.reset();
  });
});
