import { and, eq } from 'drizzle-orm';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { createHarborRobotActivities } from '../../activities/harbor/robots';
import { robotAccounts } from '../../db/schema';
import type { RobotSpec } from '../../lib/robots';
import { robotWorkflowId } from '../../lib/workflow-ids';
import { pullManifest, pushModel, type RegistryAuth } from '../harbor/oci-push';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

describe('robot accounts', () => {
  let stack: TestStack;
  const tenant = uniqueName('robots');
  const project = uniqueName('robots');
  const base = `/api/v1/projects/${project}/robots`;
  const harborRobot = async (name: string) => {
    const id = (await stack.harbor.client.projects.get(project))!.project_id!;
    return (await stack.harbor.client.robots.listForProject(id)).find((r) => r.name === `robot$${project}+${name}`);
  };
  const seen: string[] = [];
  const robotAuth = (name: string, secret: string): RegistryAuth => ({ username: `robot$${project}+${name}`, password: secret });
  const registry = () => stack.harbor.emulator.url;
  const basic = (auth: RegistryAuth) => ({ authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` });
  /** 201 when a whole model push with these credentials succeeds, else the status of the request refused. */
  const canPush = async (auth: RegistryAuth | undefined, tag: string) => {
    try {
      await pushModel(registry(), `${project}/model`, tag, { auth });
      return 201;
    } catch (err) {
      return Number(/: (\d{3}) /.exec((err as Error).message)?.[1]);
    }
  };
  const expectUnauthorized = async (res: Response) => {
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toBe('Basic realm="harbor"');
    expect((await readJson(res)).errors[0].code).toBe('UNAUTHORIZED');
  };

  beforeAll(async () => {
    stack = await startTestStack();
    await createTenant(stack, { name: tenant });
    await onboardProject(stack, tenant, { name: project, robot: { name: 'onboarding' } });
  }, 120_000);
  afterAll(() => stack?.close());

  it('creates a robot in Harbor with the named permissions and shows its secret once', async () => {
    const res = await stack.app.request(base, jsonRequest({ name: 'ci', description: 'CI pushes', durationDays: 7, permissions: ['pull', 'push', 'tag'] }));
    expect(res.status).toBe(201);
    const created = await readJson(res);
    expect(created).toMatchObject({ name: `robot$${project}+ci`, description: 'CI pushes', permissions: ['pull', 'push', 'tag'], archived: false });
    expect(created.secret.length).toBeGreaterThan(8);
    seen.push(created.secret);
    const inHarbor = await harborRobot('ci');
    expect(inHarbor?.permissions?.[0]?.access?.map((a) => `${a.resource}:${a.action}`).sort()).toEqual(['repository:pull', 'repository:push', 'tag:create', 'tag:delete']);
    // Harbor robot ids are per emulator and the database is shared by every test file: the name says which row.
    const [row] = await stack.database.db.select().from(robotAccounts).where(and(eq(robotAccounts.harborRobotId, inHarbor!.id!), eq(robotAccounts.name, created.name)));
    expect(row!.secret).toMatch(/^v1:/);
    expect(stack.deps.secrets.open(row!.secret)).toBe(created.secret);
  });

  it('its secret pushes and pulls at the registry endpoint; wrong credentials get 401, anonymous and admin still work', async () => {
    const ci = robotAuth('ci', seen[0]!);
    expect(await canPush(ci, 'v1')).toBe(201);
    const pulled = await pullManifest(registry(), `${project}/model`, 'v1', ci);
    expect(pulled.status).toBe(200);
    expect(JSON.parse(await pulled.text()).artifactType).toBe('application/vnd.cncf.model.manifest.v1+json');
    await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v1', { ...ci, password: `${seen[0]}x` }));
    await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v1', { username: `robot$${project}+ghost`, password: seen[0]! }));
    await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v1', { username: stack.harbor.emulator.username, password: 'wrong' }));
    expect(await canPush({ ...ci, password: 'wrong' }, 'v1-bad')).toBe(401);
    expect((await pullManifest(registry(), `${project}/model`, 'v1', { username: stack.harbor.emulator.username, password: stack.harbor.emulator.password })).status).toBe(200);
    expect((await pullManifest(registry(), `${project}/model`, 'v1')).status).toBe(200);
    expect(await canPush(undefined, 'anonymous')).toBe(201);
    // The robot's permissions are on its own project only.
    const other = uniqueName('robots');
    await stack.harbor.client.projects.create({ project_name: other, metadata: { public: 'false' } });
    const elsewhere = await fetch(`${registry()}/v2/${other}/model/blobs/uploads/`, { method: 'POST', headers: basic(ci) });
    expect(elsewhere.status).toBe(403);
    expect((await readJson(elsewhere)).errors[0].code).toBe('DENIED');
  });

  it('lists and reads robots, the onboarding one included, never with a secret', async () => {
    const page = await readJson(await stack.app.request(base));
    expect(page.items.map((r: { name: string }) => r.name)).toEqual([`robot$${project}+ci`, `robot$${project}+onboarding`]);
    const one = await stack.app.request(`${base}/ci`);
    expect(one.status).toBe(200);
    const text = JSON.stringify(page) + (await one.text());
    expect(text).not.toMatch(/"secret"/);
    for (const secret of seen) expect(text).not.toContain(secret);
    expect((await stack.app.request(`${base}/ghost`)).status).toBe(404);
  });

  it('refreshes the secret: a new one, revealed once, stored sealed', async () => {
    const res = await stack.app.request(`${base}/ci/secret`, { method: 'POST' });
    expect(res.status).toBe(200);
    const { secret } = await readJson(res);
    expect(secret).not.toBe(seen[0]);
    seen.push(secret);
    const [row] = await stack.database.db.select().from(robotAccounts).where(eq(robotAccounts.name, `robot$${project}+ci`));
    expect(stack.deps.secrets.open(row!.secret)).toBe(secret);
  });

  it('after a refresh the old secret gets 401 at the registry endpoint and the new one works', async () => {
    const [old, current] = [robotAuth('ci', seen[0]!), robotAuth('ci', seen[1]!)];
    await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v1', old));
    expect(await canPush(old, 'v2')).toBe(401);
    expect(await canPush(current, 'v2')).toBe(201);
    expect((await pullManifest(registry(), `${project}/model`, 'v2', current)).status).toBe(200);
  });

  it('shows its secret again to the same request retried with its Idempotency-Key, and never to another caller with the same key', async () => {
    const key = { 'idempotency-key': `robot-${uniqueName('k')}` };
    const body = { name: 'keyed', permissions: ['pull'] };
    const first = await stack.app.request(base, jsonRequest(body, key));
    expect(first.status).toBe(201);
    const { secret } = await readJson(first);
    seen.push(secret);
    const retried = await stack.app.request(base, jsonRequest(body, key));
    expect(retried.status).toBe(201);
    expect((await readJson(retried)).secret).toBe(secret);
    // Another platform administrator's same key and body is a request of their own: the robot exists.
    const other = await stack.auth.token({ username: uniqueName('eve'), roles: ['platform-admin'] });
    const theirs = await stack.app.request(base, jsonRequest(body, { ...key, authorization: `Bearer ${other}` }));
    expect(theirs.status).toBe(409);
    expect(await theirs.text()).not.toContain(secret);
  });

  it('refuses a duplicate (409), a bad body naming the field (400) and an unknown project (404)', async () => {
    expect((await stack.app.request(base, jsonRequest({ name: 'ci', permissions: ['pull'] }))).status).toBe(409);
    const bad = await stack.app.request(base, jsonRequest({ name: 'Bad Name', permissions: ['fly'] }));
    expect(bad.status).toBe(400);
    const fields = (await readJson(bad)).errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.permissions.0']));
    expect((await stack.app.request(base, jsonRequest({ name: 'x', permissions: [] }))).status).toBe(400);
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('none')}/robots`, jsonRequest({ name: 'x', permissions: ['pull'] }))).status).toBe(404);
  });

  it('refuses a delete while a secret refresh of the same robot is running, rather than joining it', async () => {
    // No worker polls this queue, so the refresh stays running.
    const stalled = stack.appWith({ mutationWaitMs: 0, taskQueue: uniqueName('nobody') });
    const refresh = await stalled.request(`${base}/ci/secret`, { method: 'POST' });
    expect(refresh.status).toBe(202);
    const del = await stalled.request(`${base}/ci`, { method: 'DELETE' });
    expect(del.status).toBe(409);
    expect(await readJson(del)).toMatchObject({ type: expect.stringMatching(/operation-in-progress$/), operation: refresh.headers.get('location') });
    await stack.client.workflow.getHandle(robotWorkflowId(stack.registry, project, 'ci')).terminate('test cleanup');
    expect(await harborRobot('ci')).toBeDefined();
  });

  it('deletes the robot in Harbor and archives it', async () => {
    const res = await stack.app.request(`${base}/ci`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect((await readJson(res)).archived).toBe(true);
    expect(await harborRobot('ci')).toBeUndefined();
    // Its secret no longer opens the registry.
    await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v1', robotAuth('ci', seen[1]!)));
    expect(await canPush(robotAuth('ci', seen[1]!), 'v3')).toBe(401);
    expect((await stack.app.request(`${base}/ci`)).status).toBe(404);
    expect((await stack.app.request(`${base}/ci`, { method: 'DELETE' })).status).toBe(404);
    // The name is free again.
    const again = await stack.app.request(base, jsonRequest({ name: 'ci', permissions: ['pull'] }));
    expect(again.status).toBe(201);
    seen.push((await readJson(again)).secret);
  });

  it('a pull-only robot pulls but gets 403 DENIED on push; an expired robot gets 401', async () => {
    const pullOnly = robotAuth('ci', seen.at(-1)!);
    expect((await pullManifest(registry(), `${project}/model`, 'v2', pullOnly)).status).toBe(200);
    const push = await fetch(`${registry()}/v2/${project}/model/blobs/uploads/`, { method: 'POST', headers: basic(pullOnly) });
    expect(push.status).toBe(403);
    expect((await readJson(push)).errors[0].code).toBe('DENIED');
    expect(await canPush(pullOnly, 'v4')).toBe(403);
    // Harbor stops taking a robot's secret once it expires.
    const robot = [...stack.harbor.emulator.state.robots.values()].find((r) => r.name === pullOnly.username)!;
    const expiresAt = robot.expires_at;
    robot.expires_at = Math.floor(Date.now() / 1000) - 1;
    try {
      await expectUnauthorized(await pullManifest(registry(), `${project}/model`, 'v2', pullOnly));
    } finally {
      robot.expires_at = expiresAt;
    }
  });

  it("takes only Harbor's robot names and durations of -1 or 1–3650 days (400 naming the field)", async () => {
    const fieldsOf = async (body: unknown, path = base) => {
      const res = await stack.app.request(path, jsonRequest(body));
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      return [...new Set((await readJson(res)).errors.map((e: { field: string }) => e.field))];
    };
    for (const name of ['ci-', '-ci', 'ci..x', 'ci_-x', 'CI', 'ci+x', 'robot$ci', 'c i', '']) {
      expect(await fieldsOf({ name, permissions: ['pull'] })).toEqual(['body.name']);
    }
    for (const durationDays of [0, -2, 3651, 1.5, '30']) {
      expect(await fieldsOf({ name: 'dur', durationDays, permissions: ['pull'] })).toEqual(['body.durationDays']);
    }
    // robot$<project>+<name> must fit in 255 characters.
    const fits = 'x'.repeat(255 - `robot$${project}+`.length);
    const tooLong = await stack.app.request(base, jsonRequest({ name: `${fits}x`, permissions: ['pull'] }));
    expect(tooLong.status).toBe(400);
    expect((await readJson(tooLong)).errors).toEqual([expect.objectContaining({ field: 'body.name', message: expect.stringContaining('at most 255') })]);
    expect((await stack.app.request(`${base}/dur`)).status).toBe(404);

    // The same rules in onboarding's robot block.
    const onboarding = { name: uniqueName('robots'), display_name: 'x', tenantId: tenant };
    expect(await fieldsOf({ ...onboarding, robot: { name: 'ci-' } }, '/api/v1/projects')).toEqual(['body.robot.name']);
    expect(await fieldsOf({ ...onboarding, robot: { durationDays: 0 } }, '/api/v1/projects')).toEqual(['body.robot.durationDays']);
    expect(await fieldsOf({ ...onboarding, name: 'p'.repeat(250), robot: true }, '/api/v1/projects')).toEqual(['body.robot']);

    // Good names: separators inside, and the longest that fits; -1 never expires.
    for (const [name, durationDays] of [['ci.push_2-x', -1], [fits, 3650]] as const) {
      const res = await stack.app.request(base, jsonRequest({ name, durationDays, permissions: ['pull'] }));
      expect(res.status, name).toBe(201);
      const created = await readJson(res);
      expect(created.name).toBe(`robot$${project}+${name}`);
      expect(created.expiresAt === null).toBe(durationDays === -1);
      seen.push(created.secret);
      expect((await stack.app.request(`${base}/${name}`)).status).toBe(200);
    }
  });

  it('keeps the secrets out of Kafka events and workflow histories', async () => {
    const typesOf = (records: ConsumedRecord[]) => records.map((e) => JSON.parse(e.value).type as string);
    const robotEvents = ['modelregistry.robot.created', 'modelregistry.robot.refreshed', 'modelregistry.robot.deleted'];
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the robot events',
      until: (records) => records.length >= 4 && robotEvents.every((t) => typesOf(records).includes(t)),
      never: { what: 'a robot secret in a later event', check: (records) => seen.find((secret) => JSON.stringify(records).includes(secret)), forMs: 1000 },
    });
    const types = typesOf(events);
    expect(types).toEqual(expect.arrayContaining(robotEvents));
    const histories: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `TaskQueue = "${stack.taskQueue}" AND WorkflowType STARTS_WITH "robot"` })) {
      histories.push(JSON.stringify(await stack.client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory(), (_, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)));
    }
    expect(histories.length).toBeGreaterThanOrEqual(4);
    for (const secret of seen) {
      expect(JSON.stringify(events)).not.toContain(secret);
      for (const h of histories) expect(h).not.toContain(secret);
    }
  });

  it('needs projects.write to manage and projects.read to list', async () => {
    const guest = await stack.auth.token({ username: 'g', tenant, role: 'guest' });
    const headers = { authorization: `Bearer ${guest}` };
    expect((await stack.app.request(base, { headers })).status).toBe(200);
    const denied = await stack.app.request(base, jsonRequest({ name: 'nope', permissions: ['pull'] }, headers));
    expect(denied.status).toBe(403);
    expect((await readJson(denied)).action).toBe('projects.write');
  });

  it('takes over a robot of its name only when Harbor made it while the activity ran (a lost answer), never an older one', async () => {
    const { createHarborRobot } = createHarborRobotActivities(stack.deps);
    const spec: RobotSpec = { registry: stack.registry, project, name: 'theirs', durationDays: 1, permissions: ['pull'] };
    const projectId = (await stack.harbor.client.projects.get(project))!.project_id!;
    await stack.harbor.client.robots.create({ name: 'theirs', level: 'project', duration: 1, permissions: [{ kind: 'project', namespace: project, access: [{ resource: 'repository', action: 'pull' }] }] });
    const theirs = await harborRobot('theirs');
    // Scheduled after Harbor made it: someone else's robot, refused and left as it was.
    const later = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() + 1_000 });
    await expect(later.run(createHarborRobot, spec)).rejects.toMatchObject({ type: 'Conflict' });
    expect((await harborRobot('theirs'))?.id).toBe(theirs!.id);
    // Scheduled before: the activity's own earlier attempt, its secret refreshed to hand one back.
    const earlier = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() - 60_000 });
    const adopted = (await earlier.run(createHarborRobot, spec)) as Awaited<ReturnType<typeof createHarborRobot>>;
    expect(adopted.robotId).toBe(theirs!.id);
    expect(stack.deps.secrets.open(adopted.sealedSecret).length).toBeGreaterThan(8);
    expect((await stack.harbor.client.robots.listForProject(projectId)).filter((r) => r.name === theirs!.name)).toHaveLength(1);
  });

  it("keeps a project's robots its own through an archive and a registration again: listed, refreshed, deleted", async () => {
    const again = uniqueName('robots-again');
    await onboardProject(stack, tenant, { name: again, robot: { name: 'onboarding' } });
    const robots = `/api/v1/projects/${again}/robots`;
    expect((await stack.app.request(robots, jsonRequest({ name: 'extra', permissions: ['pull'] }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/projects/${again}`, { method: 'DELETE' })).status).toBe(200);
    const register = () => stack.app.request('/api/v1/projects', jsonRequest({ name: again, display_name: again, tenantId: tenant }, {}, 'PUT'));
    expect((await register()).status).toBe(200);
    expect((await register()).status).toBe(200);

    const names = async () => (await readJson(await stack.app.request(robots))).items.map((r: { name: string }) => r.name).sort();
    expect(await names()).toEqual([`robot$${again}+extra`, `robot$${again}+onboarding`]);
    const refreshed = await stack.app.request(`${robots}/extra/secret`, { method: 'POST' });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    expect((await stack.app.request(`${robots}/onboarding`, { method: 'DELETE' })).status).toBe(200);
    const harborId = (await stack.harbor.client.projects.get(again))!.project_id!;
    expect((await stack.harbor.client.robots.listForProject(harborId)).map((r) => r.name)).toEqual([`robot$${again}+extra`]);
    expect(await names()).toEqual([`robot$${again}+extra`]);
  });
});
