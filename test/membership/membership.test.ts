import { WorkflowNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createKeycloakActivities } from '../../activities/keycloak';
import { HARBOR_ROLE_IDS, projectGroupPath, projectGroupPrefix, type MembershipChanges } from '../../lib/membership';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** Project membership against the real Keycloak (test realm: users carol, dave) and the Harbor emulator. */
describe('project membership: Keycloak groups synced to Harbor members', () => {
  let stack: TestStack;
  const tenant = uniqueName('mem');
  const project = uniqueName('mem');
  const group = (role: Parameters<typeof projectGroupPath>[2]) => projectGroupPath(tenant, project, role);
  const harborGroups = async () =>
    Object.fromEntries(
      (await stack.harbor.client.members.list(project)).filter((m) => m.entity_type === 'g').map((m) => [m.entity_name!, m.role_id!]),
    ) as Record<string, number>;
  const members = (body: unknown) => stack.app.request(`/api/v1/projects/${project}/members`, jsonRequest(body, {}, 'PUT'));

  beforeAll(async () => {
    stack = await startTestStack();
    await createTenant(stack, { name: tenant });
    await onboardProject(stack, tenant, { name: project, members: [{ group: 'ml-team', role: 'guest' }] });
  }, 120_000);
  afterAll(() => stack?.close());

  const view = async () => {
    const res = await stack.app.request(`/api/v1/projects/${project}/members`);
    expect(res.status).toBe(200);
    return readJson(res);
  };

  it('answers a project no membership workflow has observed yet with observedAt null, starting no workflow', async () => {
    expect(await view()).toEqual({ keycloak: {}, harbor: [], drift: { added: [], updated: [], removed: [], unmanaged: [] }, observedAt: null });
    await expect(stack.client.workflow.getHandle(`membership-read:${stack.registry}/${project}`).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('none')}/members`)).status).toBe(404);
  });

  it('sets Keycloak role groups and makes Harbor hold them with the right role ids', async () => {
    const res = await members({ members: { developer: ['carol'], guest: ['dave'] } });
    expect(res.status).toBe(200);
    const body = await readJson(res);
    expect(body.keycloak.added.sort()).toEqual(['carol → developer', 'dave → guest']);
    expect(body.harbor.added).toHaveLength(5);
    expect(body.harbor.unmanaged.sort()).toEqual(['admin', 'ml-team']);

    const observed = await view();
    expect(observed.keycloak).toEqual({ admin: [], maintainer: [], developer: ['carol'], guest: ['dave'], 'limited-guest': [] });
    expect(observed.drift).toMatchObject({ added: [], updated: [], removed: [] });
    expect(observed.harbor).toContainEqual({ name: group('developer'), type: 'g', roleId: 2 });
    expect(observed.observedAt).toEqual(expect.any(String));
    expect(await harborGroups()).toEqual({
      'ml-team': HARBOR_ROLE_IDS.guest,
      [group('admin')]: 1,
      [group('maintainer')]: 4,
      [group('developer')]: 2,
      [group('guest')]: 3,
      [group('limited-guest')]: 5,
    });
  });

  it('moves users between roles and refuses unknown users without changing anything', async () => {
    const moved = await readJson(await members({ members: { maintainer: ['carol'], guest: ['dave'] } }));
    expect(moved.keycloak).toEqual({ added: ['carol → maintainer'], removed: ['carol → developer'] });
    // Harbor's groups did not change, but who holds a role did: announced.
    expect(moved.harbor).toMatchObject({ added: [], updated: [], removed: [] });
    const records = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the membership change', until: (rs) => rs.some((r) => JSON.parse(r.value).data?.added?.includes('carol → maintainer')) });
    const updated = records.map((r) => JSON.parse(r.value)).find((e) => e.data?.added?.includes('carol → maintainer'));
    expect(updated).toMatchObject({ type: 'modelregistry.membership.updated', subject: `projects/${stack.registry}/${project}`, data: { tenant, project, added: ['carol → maintainer'], removed: ['carol → developer'] } });
    const res = await members({ members: { developer: ['carol', 'nobody-such'] } });
    expect(res.status).toBe(400);
    const problem = await readJson(res);
    expect(problem.detail).toContain('nobody-such');
    // Named where it stands, so a client (and gRPC's field violations) can point at it.
    expect(problem.errors).toEqual([{ field: 'body.members.developer.1', message: 'unknown Keycloak user "nobody-such"', code: 'invalid_value' }]);
    expect((await view()).keycloak).toMatchObject({ maintainer: ['carol'], guest: ['dave'], developer: [] });
  });

  it('rejects a body with an unknown role, naming the field', async () => {
    const res = await members({ members: { owner: ['carol'] } });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await readJson(res))).toContain('members');
  });

  it('converges after drift in Harbor: an extra member, a missing one and a wrong role', async () => {
    const client = stack.harbor.client.members;
    const list = await client.list(project);
    const id = (name: string) => list.find((m) => m.entity_name === name)!.id!;
    const extra = `${projectGroupPrefix(tenant, project)}owners`;
    await client.addGroup(project, extra, 1);
    await client.remove(project, id(group('developer')));
    await client.updateRole(project, id(group('guest')), 1);

    // The GET shows the last observation, not Harbor now: the drift appears after the next sync.
    const before = await view();
    expect(before.harbor).toContainEqual({ name: group('developer'), type: 'g', roleId: 2 });
    expect(before.harbor.map((m: { name: string }) => m.name)).not.toContain(extra);

    const res = await stack.app.request(`/api/v1/projects/${project}/members/sync`, { method: 'POST' });
    expect(res.status).toBe(200);
    const report = (await readJson(res)) as MembershipChanges;
    expect(report.added).toEqual([{ group: group('developer'), roleId: 2 }]);
    expect(report.updated).toEqual([{ group: group('guest'), fromRoleId: 1, toRoleId: 3 }]);
    expect(report.removed).toEqual([{ group: extra, roleId: 1 }]);
    expect(report.unmanaged.sort()).toEqual(['admin', 'ml-team']);
    expect((await harborGroups())[group('guest')]).toBe(3);
    const after = await view();
    expect(Date.parse(after.observedAt)).toBeGreaterThan(Date.parse(before.observedAt));
    expect(after.drift).toMatchObject({ added: [], updated: [], removed: [] });
    expect(after.harbor).toContainEqual({ name: group('guest'), type: 'g', roleId: 3 });
    expect(after.harbor.map((m: { name: string }) => m.name)).not.toContain(extra);

    const again = (await readJson(await stack.app.request(`/api/v1/projects/${project}/members/sync`, { method: 'POST' }))) as MembershipChanges;
    expect(again).toMatchObject({ added: [], updated: [], removed: [] });
  });

  it('is repaired by the Schedule\'s workflow too', async () => {
    const list = await stack.harbor.client.members.list(project);
    await stack.harbor.client.members.updateRole(project, list.find((m) => m.entity_name === group('admin'))!.id!, 3);
    const result = await stack.client.workflow.execute('membershipSyncAllWorkflow', { taskQueue: stack.taskQueue, workflowId: uniqueName('membership-sync-all'), args: [] });
    expect((result as { changed: string[] }).changed).toContain(`${stack.registry}/${project}`);
    expect((await harborGroups())[group('admin')]).toBe(1);
    expect((await view()).harbor).toContainEqual({ name: group('admin'), type: 'g', roleId: 1 });
    // It goes through every file's projects in the shared database, one child each.
  }, 180_000);

  it('keeps the last observation until the next sync sees a change made in Keycloak', async () => {
    const before = await view();
    await createKeycloakActivities(stack.deps).setKeycloakProjectMembers(tenant, project, { developer: ['dave'] });
    expect(await view()).toEqual(before);
    expect((await stack.app.request(`/api/v1/projects/${project}/members/sync`, { method: 'POST' })).status).toBe(200);
    const after = await view();
    expect(after.keycloak).toEqual({ admin: [], maintainer: [], developer: ['dave'], guest: [], 'limited-guest': [] });
    expect(Date.parse(after.observedAt)).toBeGreaterThan(Date.parse(before.observedAt));
  });

  it('needs membership.admin: a developer of the tenant gets 403, another tenant 404', async () => {
    const dev = await stack.auth.token({ username: 'dev', tenant, role: 'developer' });
    const res = await stack.app.request(`/api/v1/projects/${project}/members`, { headers: { authorization: `Bearer ${dev}` } });
    expect(res.status).toBe(403);
    expect((await readJson(res)).action).toBe('membership.admin');
    const other = await stack.auth.token({ username: 'x', tenant: uniqueName('other'), role: 'admin' });
    expect((await stack.app.request(`/api/v1/projects/${project}/members`, { headers: { authorization: `Bearer ${other}` } })).status).toBe(404);
  });
});
