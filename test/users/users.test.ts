import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeOperationId } from '../../api/operations';
import { userWorkflowId } from '../../lib/workflow-ids';
import { jsonRequest, readJson } from '../support/http';
import { KEYCLOAK_CLIENTS, keycloakAdminClient } from '../support/keycloak';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** The Users controller against the real test Keycloak: a tenant's users, their roles, create and remove. */
describe('tenant users (Keycloak)', () => {
  let stack: TestStack;
  let kc: Awaited<ReturnType<typeof keycloakAdminClient>>;
  const tenant = uniqueName('usr');
  const other = uniqueName('usr');
  const project = uniqueName('usr');
  const ann = uniqueName('ann');
  const ben = uniqueName('ben');
  const users = (t = tenant) => `/api/v1/tenants/${t}/users`;
  const create = (body: unknown, t = tenant) => stack.app.request(users(t), jsonRequest(body));
  const keycloakUser = async (username: string) => (await kc.users.find({ username, exact: true })).find((u) => u.username === username);
  const createOperations: string[] = [];

  beforeAll(async () => {
    stack = await startTestStack();
    kc = await keycloakAdminClient();
    for (const name of [tenant, other]) {
      await createTenant(stack, { name });
    }
    await onboardProject(stack, tenant, { name: project });
  }, 120_000);
  afterAll(() => stack?.close());

  it('creates a Keycloak user in a tenant role, asking them to set a password and verify the email', async () => {
    const res = await create({ username: ann, email: `${ann}@users.example`, firstName: 'Ann', role: 'developer' });
    expect(res.status).toBe(201);
    createOperations.push(res.headers.get('x-operation-id')!);
    const body = await readJson(res);
    expect(body).toEqual({
      username: ann,
      email: `${ann}@users.example`,
      firstName: 'Ann',
      lastName: null,
      enabled: true,
      emailVerified: false,
      requiredActions: expect.arrayContaining(['UPDATE_PASSWORD', 'VERIFY_EMAIL']),
      roles: ['developer'],
      projects: {},
    });
    const account = await keycloakUser(ann);
    expect(account?.requiredActions?.sort()).toEqual(['UPDATE_PASSWORD', 'VERIFY_EMAIL']);
    expect(await kc.users.getCredentials({ id: account!.id! })).toEqual([]);
    expect((await kc.users.listGroups({ id: account!.id! })).map((g) => g.path)).toEqual([`/tenants/${tenant}/developer`]);

    const second = await create({ username: ben, email: `${ben}@users.example` });
    expect(second.status).toBe(201);
    createOperations.push(second.headers.get('x-operation-id')!);
    expect((await readJson(second)).roles).toEqual(['guest']);
  });

  it('creates users added at once to a role group the new tenant does not have yet, each in it', async () => {
    const fresh = await createTenant(stack, { name: uniqueName('usr') });
    const names = Array.from({ length: 4 }, () => uniqueName('par'));
    // Each workflow finds no /tenants/<fresh>/maintainer group and creates it: Keycloak answers all but one 409.
    const answers = await Promise.all(names.map((username) => create({ username, email: `${username}@users.example`, role: 'maintainer' }, fresh)));
    expect(answers.map((r) => r.status)).toEqual([201, 201, 201, 201]);
    for (const username of names) expect((await kc.users.listGroups({ id: (await keycloakUser(username))!.id! })).map((g) => g.path)).toEqual([`/tenants/${fresh}/maintainer`]);
  });

  it('refuses an existing user (409), a password (400 naming the body) and an unknown tenant (404)', async () => {
    const again = await create({ username: ann, email: `${ann}-2@users.example` });
    expect(again.status).toBe(409);
    expect(await readJson(again.clone())).toMatchObject({ field: 'body.username' });
    expect(again.headers.get('content-type')).toBe('application/problem+json');
    const sameEmail = await create({ username: uniqueName('cat'), email: `${ann}@users.example` });
    expect(sameEmail.status).toBe(409);
    // Named: the username was free, the email is what another account has.
    expect(await readJson(sameEmail)).toMatchObject({ field: 'body.email', detail: `a Keycloak account with the email "${ann}@users.example" exists` });

    const withPassword = await create({ username: uniqueName('dan'), email: 'dan@users.example', password: 'hunter2' });
    expect(withPassword.status).toBe(400);
    const problem = await readJson(withPassword);
    expect(problem.errors[0].field).toBe('body');
    expect(problem.detail).toContain('password');
    expect(JSON.stringify(problem)).not.toContain('hunter2');

    const bad = await create({ username: 'Not Valid', email: 'not-an-email' });
    expect(bad.status).toBe(400);
    expect((await readJson(bad)).errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.email', 'body.username']);
    // Characters Keycloak's user profile refuses in names (the fuzzer met its 400 as a 500).
    const oddName = uniqueName('eve');
    const names = await create({ username: oddName, email: `${oddName}@users.example`, firstName: '~7', lastName: 'a*b>c' });
    expect(names.status).toBe(400);
    expect((await readJson(names)).errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.firstName', 'body.lastName']);
    expect(await keycloakUser(oddName)).toBeUndefined();

    const nowhere = uniqueName('none');
    expect((await create({ username: nowhere, email: `${nowhere}@users.example` }, uniqueName('no-tenant'))).status).toBe(404);
    expect(await keycloakUser(nowhere)).toBeUndefined();
  });

  it('lists the tenant\'s users with their roles per project, a page at a time', async () => {
    const put = await stack.app.request(`/api/v1/projects/${project}/members`, jsonRequest({ members: { maintainer: [ann], guest: [ben] } }, {}, 'PUT'));
    expect(put.status).toBe(200);

    const first = await readJson(await stack.app.request(`${users()}?limit=1`));
    expect(first.items.map((u: { username: string }) => u.username)).toEqual([ann]);
    expect(first.items[0]).toMatchObject({ roles: ['developer'], projects: { [project]: ['maintainer'] } });
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await readJson(await stack.app.request(`${users()}?limit=1&cursor=${first.nextCursor}`));
    expect(second.items.map((u: { username: string }) => u.username)).toEqual([ben]);
    expect(second.nextCursor).toBeNull();

    const one = await readJson(await stack.app.request(`${users()}/${ben}`));
    expect(one).toMatchObject({ username: ben, roles: ['guest'], projects: { [project]: ['guest'] } });
    expect((await stack.app.request(`${users()}?cursor=not*a*cursor`)).status).toBe(400);
  });

  it('answers 404 for an unknown tenant, an unknown user and a user of another tenant', async () => {
    expect((await stack.app.request(users(uniqueName('no-tenant')))).status).toBe(404);
    expect((await stack.app.request(`${users()}/nobody-such`)).status).toBe(404);
    expect((await stack.app.request(`${users(other)}/${ann}`)).status).toBe(404);
    expect((await readJson(await stack.app.request(users(other)))).items).toEqual([]);
    const removed = await stack.app.request(`${users(other)}/${ann}`, { method: 'DELETE' });
    expect(removed.status).toBe(404);
    expect(await keycloakUser(ann)).toBeDefined();
  });

  it('needs membership.admin in the tenant: its developer gets 403, another tenant\'s admin 404', async () => {
    const dev = await stack.auth.token({ username: 'dev', tenant, role: 'developer' });
    for (const [path, init] of [[users(), {}], [users(), jsonRequest({ username: uniqueName('eve'), email: 'eve@users.example' })], [`${users()}/${ann}`, { method: 'DELETE' }]] as const) {
      const res = await stack.app.request(path, { ...init, headers: { ...(init as RequestInit).headers, authorization: `Bearer ${dev}` } });
      expect(res.status).toBe(403);
      expect((await readJson(res)).action).toBe('membership.admin');
    }
    const otherAdmin = await stack.auth.token({ username: 'other-admin', tenant: other, role: 'admin' });
    expect((await stack.app.request(users(), { headers: { authorization: `Bearer ${otherAdmin}` } })).status).toBe(404);
    const admin = await stack.auth.token({ username: 'tenant-admin', tenant, role: 'admin' });
    expect((await stack.app.request(users(), { headers: { authorization: `Bearer ${admin}` } })).status).toBe(200);
  });

  it('answers 504 when no worker finishes a read in time, not a 503 blaming Temporal', async () => {
    // No worker polls this queue: the read workflow times out, as when Keycloak or the workers do not answer.
    // A short mutation wait, as deployed (MUTATION_WAIT_MS): the request's Temporal deadline must not end the read first.
    const app = stack.appWith({ taskQueue: uniqueName('no-worker'), mutationWaitMs: 1000 });
    const res = await app.request(users());
    expect(res.status, await res.clone().text()).toBe(504);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await readJson(res)).toMatchObject({ type: 'https://model-registry.dev/problems/timeout', status: 504, detail: 'the read did not finish within 10 s' });
  }, 60_000);

  it('removes a user from every group of the tenant, keeping the account while another tenant has it', async () => {
    const account = await keycloakUser(ann);
    // ann joins the other tenant too: its guest group exists once it has a user.
    const tom = uniqueName('tom');
    expect((await create({ username: tom, email: `${tom}@users.example`, role: 'guest' }, other)).status).toBe(201);
    const [otherGuests] = await kc.users.listGroups({ id: (await keycloakUser(tom))!.id! });
    await kc.users.addToGroup({ id: account!.id!, groupId: otherGuests!.id! });

    const res = await stack.app.request(`${users()}/${ann}`, { method: 'DELETE' });
    expect(res.status).toBe(200);
    expect(await readJson(res)).toEqual({
      username: ann,
      removedFrom: [`/tenants/${tenant}/developer`, `/tenants/${tenant}/projects/${project}/maintainer`],
      accountDeleted: false,
    });
    expect((await kc.users.listGroups({ id: account!.id! })).map((g) => g.path)).toEqual([`/tenants/${other}/guest`]);
    expect((await stack.app.request(`${users()}/${ann}`)).status).toBe(404);

    const last = await readJson(await stack.app.request(`${users(other)}/${ann}`, { method: 'DELETE' }));
    expect(last).toEqual({ username: ann, removedFrom: [`/tenants/${other}/guest`], accountDeleted: true });
    expect(await keycloakUser(ann)).toBeUndefined();
  });

  it('keeps the account of a platform administrator (a realm role) when the only tenant they are in removes them', async () => {
    // The realm's platform-admin joins the tenant as a developer (the group exists once it has a user).
    const pat = uniqueName('pat');
    expect((await create({ username: pat, email: `${pat}@users.example`, role: 'developer' })).status).toBe(201);
    const [developers] = await kc.users.listGroups({ id: (await keycloakUser(pat))!.id! });
    const admin = (await keycloakUser('platform-admin'))!;
    await kc.users.addToGroup({ id: admin.id!, groupId: developers!.id! });

    const res = await stack.app.request(`${users()}/platform-admin`, { method: 'DELETE' });
    expect(await readJson(res)).toEqual({ username: 'platform-admin', removedFrom: [`/tenants/${tenant}/developer`], accountDeleted: false });
    expect((await keycloakUser('platform-admin'))?.id).toBe(admin.id);
  });

  it("keeps an account the service did not create (an identity provider's) when the tenant it joined removes it", async () => {
    const ivy = uniqueName('ivy');
    expect((await create({ username: ivy, email: `${ivy}@users.example`, role: 'developer' })).status).toBe(201);
    const [developers] = await kc.users.listGroups({ id: (await keycloakUser(ivy))!.id! });
    const ida = uniqueName('ida');
    const { id } = await kc.users.create({ username: ida, email: `${ida}@idp.example`, enabled: true });
    await kc.users.addToGroup({ id, groupId: developers!.id! });
    try {
      const res = await stack.app.request(`${users()}/${ida}`, { method: 'DELETE' });
      expect(await readJson(res)).toEqual({ username: ida, removedFrom: [`/tenants/${tenant}/developer`], accountDeleted: false });
      expect((await keycloakUser(ida))?.id).toBe(id);
    } finally {
      await kc.users.del({ id });
    }
  });

  it('audits every change with the caller as actor', async () => {
    const rows = await stack.database.sql<{ action: string; actor: string; subject: string }[]>`
      select action, actor, details->>'actorSubject' as subject from modelregistry.audit_events where resource = ${`tenants/${tenant}/users/${ann}`} order by occurred_at`;
    expect(rows).toEqual([
      { action: 'user.created', actor: 'test-admin', subject: 'local:test-admin' },
      { action: 'user.removed', actor: 'test-admin', subject: 'local:test-admin' },
    ]);
  });

  it('keeps passwords and secrets out of answers and workflow histories', async () => {
    expect(createOperations).toHaveLength(2);
    const histories = [];
    for (const id of createOperations) {
      const { workflowId, runId } = decodeOperationId(id)!;
      expect(workflowId).toMatch(/^user:/);
      histories.push(JSON.stringify(await stack.client.workflow.getHandle(workflowId, runId).fetchHistory()));
    }
    histories.push(JSON.stringify(await stack.client.workflow.getHandle(userWorkflowId(ann)).fetchHistory()));
    for (const history of histories) {
      expect(history).not.toContain(KEYCLOAK_CLIENTS.admin.secret);
      expect(history).not.toContain('hunter2');
      expect(history).not.toMatch(/"(password|credentials|secret)"/i);
    }
    const listed = JSON.stringify(await readJson(await stack.app.request(users())));
    expect(listed).not.toMatch(/"(password|credentials|secret)"/i);
  });
});
