import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeOperationId } from '../../api/operations';
import { TenantName } from '../../lib/search-attributes';
import { pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('project registration and lifecycle', () => {
  let stack: TestStack, tenant: string;
  beforeAll(async () => { ({ stack, tenant } = await startStackWithTenant()); });
  afterAll(() => stack.close());

  const onboard = async (name: string, extra: Record<string, unknown> = {}) => (await onboardProject(stack, tenant, { name, ...extra })).body;
  const h = () => stack.harbor;

  it('registers an existing Harbor project: resets settings, members and webhook, imports its models; again changes nothing', async () => {
    const name = uniqueName('existing');
    await h().client.projects.create({ project_name: name, metadata: { public: 'true', auto_scan: 'false' } });
    await h().client.members.addGroup(name, 'stray-group', 1);
    const a = await pushModel(h().emulator.url, `${name}/llama`, '1.0.0');
    await pushModel(h().emulator.url, `${name}/llama`, '1.1.0');
    await h().client.artifacts.addTag(name, 'llama', a.digest, 'latest');
    await pushModel(h().emulator.url, `${name}/bert`, '0.1.0');

    const body = { name, display_name: 'Harbor Repo Sync', description: 'Synced harbor project', public: false, tenantId: tenant, members: [{ group: `${name}-devs`, role: 'developer' }] };
    const res = await stack.app.request('/api/v1/projects', jsonRequest(body, {}, 'PUT'));
    expect(res.status).toBe(200);
    const registered = await readJson(res);
    expect(registered).toMatchObject({ name, displayName: 'Harbor Repo Sync', public: false, tenantId: tenant, imported: { models: 2, images: 3, tags: 4 } });

    const harbor = h().emulator.state.projects.get(name)!;
    expect(harbor.project.metadata).toMatchObject({ public: 'false', auto_scan: 'true', enable_content_trust_cosign: 'true' });
    expect(harbor.members.filter((m) => m.entity_type === 'g').map((m) => m.entity_name)).toEqual([`${name}-devs`]);
    expect(harbor.webhookPolicies.map((p) => p.name)).toEqual(['model-registry']);
    const tags = await stack.database.sql`
      select r.name as repo, t.name as tag from modelregistry.tags t
      join modelregistry.images i on i.id = t.image_id join modelregistry.repositories r on r.id = i.repository_id
      join modelregistry.projects p on p.id = r.project_id where p.name = ${name} order by 1, 2`;
    expect(tags.map((t) => `${t.repo}:${t.tag}`)).toEqual(['bert:0.1.0', 'llama:1.0.0', 'llama:1.1.0', 'llama:latest']);

    const again = await readJson(await stack.app.request('/api/v1/projects', jsonRequest(body, {}, 'PUT')));
    expect(again.imported).toEqual({ models: 0, images: 0, tags: 0 });
    expect(again.id).toBe(registered.id);
    expect(h().emulator.state.projects.get(name)!.webhookPolicies).toHaveLength(1);
  });

  it("refuses a tenant's admin registering another tenant's project into their own (409), touching nothing", async () => {
    const { project } = await onboardProject(stack, tenant, { members: [{ group: 'owners', role: 'projectAdmin' }] });
    const other = await createTenant(stack);
    const admin = bearer(await stack.auth.token({ username: 'mallory', tenant: other, role: 'admin' }));
    const before = structuredClone(h().emulator.state.projects.get(project)!.members);
    const res = await stack.app.request('/api/v1/projects', jsonRequest({ name: project, display_name: 'Taken', tenantId: other, members: [{ group: 'thieves', role: 'projectAdmin' }] }, admin, 'PUT'));
    expect(res.status, await res.clone().text()).toBe(409);
    expect((await readJson(res)).detail).toBe(`project "${project}" is registered in another tenant; registration does not move a project between tenants`);
    expect(await readJson(await stack.app.request(`/api/v1/projects/${project}`))).toMatchObject({ tenantId: tenant, displayName: project });
    expect(h().emulator.state.projects.get(project)!.members).toEqual(before);

    // Archived (not purged): the Harbor project and its artifacts stay, and stay the owner's.
    expect((await stack.app.request(`/api/v1/projects/${project}`, { method: 'DELETE' })).status).toBe(200);
    const again = await stack.app.request('/api/v1/projects', jsonRequest({ name: project, display_name: 'Taken', tenantId: other }, admin, 'PUT'));
    expect(again.status, await again.clone().text()).toBe(409);
    expect(h().emulator.state.projects.get(project)!.members).toEqual(before);
    // Its own tenant takes it back.
    const back = await stack.app.request('/api/v1/projects', jsonRequest({ name: project, display_name: project, tenantId: tenant }, {}, 'PUT'));
    expect(back.status, await back.clone().text()).toBe(200);
  });

  it('refuses to register what Harbor does not have (404) or with an unknown tenant (404)', async () => {
    const missing = await stack.app.request('/api/v1/projects', jsonRequest({ name: uniqueName('nowhere'), display_name: 'x', tenantId: tenant }, {}, 'PUT'));
    expect(missing.status).toBe(404);
    expect((await readJson(missing)).detail).toMatch(/has no project/);
    const name = uniqueName('existing');
    await h().client.projects.create({ project_name: name });
    const noTenant = await stack.app.request('/api/v1/projects', jsonRequest({ name, display_name: 'x', tenantId: uniqueName('ghost') }, {}, 'PUT'));
    expect(noTenant.status).toBe(404);
  });

  it('lists by tenant and name prefix, sorted, with cursor pages', async () => {
    const prefix = uniqueName('list');
    for (const n of ['b', 'a', 'c']) await onboard(`${prefix}-${n}`);
    const names = async (query: string) => {
      const page = await readJson(await stack.app.request(`/api/v1/projects?${query}`));
      return { names: page.items.map((p: { name: string }) => p.name), next: page.nextCursor as string | null };
    };
    const first = await names(`tenantId=${tenant}&namePrefix=${prefix}&limit=2`);
    expect(first.names).toEqual([`${prefix}-a`, `${prefix}-b`]);
    const second = await names(`tenantId=${tenant}&namePrefix=${prefix}&limit=2&cursor=${first.next}`);
    expect(second).toEqual({ names: [`${prefix}-c`], next: null });
    expect((await names(`namePrefix=${prefix}&sort=-name`)).names).toEqual([`${prefix}-c`, `${prefix}-b`, `${prefix}-a`]);
    const desc1 = await names(`namePrefix=${prefix}&sort=-createdAt&limit=1`);
    const desc2 = await names(`namePrefix=${prefix}&sort=-createdAt&limit=5&cursor=${desc1.next}`);
    expect([...desc1.names, ...desc2.names]).toEqual([`${prefix}-c`, `${prefix}-a`, `${prefix}-b`]);
    expect((await names(`tenantId=${uniqueName('other')}&namePrefix=${prefix}`)).names).toEqual([]);
    expect((await stack.app.request('/api/v1/projects?sort=size')).status).toBe(400);
    // A cursor no list made: a time that is none, or a NUL (both reached PostgreSQL and answered 500).
    const made = (value: string) => Buffer.from(JSON.stringify({ value, id: randomUUID() })).toString('base64url');
    for (const [sort, value] of [['createdAt', 'notadate'], ['name', 'a\u0000']]) {
      const res = await stack.app.request(`/api/v1/projects?sort=${sort}&cursor=${made(value!)}`);
      expect(res.status, value).toBe(400);
      expect((await readJson(res)).errors[0].field).toBe('query.cursor');
    }
    expect((await stack.app.request('/api/v1/projects?cursor=%7B%7D')).status).toBe(400);
  });

  it('patches description, visibility, settings, quota and members in Harbor and the catalogue', async () => {
    const name = uniqueName('patch');
    await onboard(name, { members: [{ group: `${name}-old`, role: 'guest' }] });
    const res = await stack.app.request(
      `/api/v1/projects/${name}`,
      jsonRequest({ description: 'now public', public: true, storage_limit: 1024, settings: { severity: 'low', autoScan: false }, members: [{ group: `${name}-new`, role: 'maintainer' }] }, {}, 'PATCH'),
    );
    expect(res.status).toBe(200);
    expect(await readJson(res)).toMatchObject({ description: 'now public', public: true, storageLimit: 1024, settings: { severity: 'low', autoScan: false, contentTrustCosign: true } });
    const harbor = h().emulator.state.projects.get(name)!;
    expect(harbor.project.metadata).toMatchObject({ public: 'true', severity: 'low', auto_scan: 'false' });
    expect(harbor.storageLimit).toBe(1024);
    expect(harbor.members.filter((m) => m.entity_type === 'g').map((m) => [m.entity_name, m.role_id])).toEqual([[`${name}-new`, 4]]);
    expect((await stack.app.request(`/api/v1/projects/${name}`, jsonRequest({}, {}, 'PATCH'))).status).toBe(400);
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('none')}`, jsonRequest({ public: true }, {}, 'PATCH'))).status).toBe(404);
  });

  it('patches members the membership sync changed meanwhile, rather than calling the project gone from Harbor', async () => {
    const name = uniqueName('race');
    await onboard(name, { members: [{ group: `${name}-a`, role: 'guest' }, { group: `${name}-b`, role: 'guest' }] });
    // The members as the PATCH's activity lists them answer late; meanwhile both are removed by someone else.
    h().emulator.faults.delayResponse('listProjectMembers', 2_000);
    const patched = stack.app.request(`/api/v1/projects/${name}`, jsonRequest({ members: [{ group: `${name}-a`, role: 'maintainer' }] }, {}, 'PATCH'));
    await eventually('the members listed', () => !h().emulator.faults.delayPending('listProjectMembers'));
    for (const m of await h().client.members.list(name)) if (m.entity_type === 'g') await h().client.members.remove(name, m.id!);

    const res = await patched;
    expect(res.status, await res.clone().text()).toBe(200);
    const harbor = h().emulator.state.projects.get(name)!;
    expect(harbor.members.filter((m) => m.entity_type === 'g').map((m) => [m.entity_name, m.role_id])).toEqual([[`${name}-a`, 4]]);
  });

  it("keeps a project's operation its tenant's after the project's name passes to another tenant", async () => {
    const { project } = await onboardProject(stack, tenant);
    const refreshed = await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' });
    expect(refreshed.status, await refreshed.clone().text()).toBe(200);
    const operation = refreshed.headers.get('x-operation-id')!;
    const { workflowId, runId } = decodeOperationId(operation)!;
    expect((await stack.client.workflow.getHandle(workflowId, runId).describe()).typedSearchAttributes.get(TenantName)).toBe(tenant);

    // Purged, then the name onboarded again by another tenant: the old run is still the first tenant's.
    expect((await stack.app.request(`/api/v1/projects/${project}?purge=true&force=true`, { method: 'DELETE' })).status).toBe(200);
    const other = await createTenant(stack);
    const taken = await stack.app.request('/api/v1/projects', jsonRequest({ name: project, display_name: project, tenantId: other }));
    expect(taken.status, await taken.clone().text()).toBe(201);
    const read = async (t: string) => (await stack.app.request(`/api/v1/operations/${operation}`, { headers: bearer(await stack.auth.token({ username: 'ops-reader', tenant: t, role: 'admin' })) })).status;
    expect(await read(tenant)).toBe(200);
    expect(await read(other)).toBe(404);
  });

  it('archives (soft delete) and purges, refusing a purge of a project with artifacts unless forced; audited and published', async () => {
    const kept = uniqueName('archive');
    await onboard(kept);
    // A tenant admin whose subject is not derived from the username: the audit row must name both.
    const danaSubject = randomUUID();
    const dana = await stack.auth.issuer.sign({ sub: danaSubject, preferred_username: 'dana', groups: [`/tenants/${tenant}/admin`] });
    const archived = await stack.app.request(`/api/v1/projects/${kept}`, { method: 'DELETE', headers: bearer(dana) });
    expect(archived.status).toBe(200);
    expect(await readJson(archived)).toMatchObject({ archived: true, deletedAt: expect.any(String) });
    expect(await readJson(await stack.app.request(`/api/v1/projects/${kept}`))).toMatchObject({ archived: true, harbor: null });
    expect(h().emulator.state.projects.has(kept)).toBe(true);
    const listed = await readJson(await stack.app.request(`/api/v1/projects?archived=true&namePrefix=${kept}`));
    expect(listed.items.map((p: { name: string }) => p.name)).toEqual([kept]);
    expect((await stack.app.request(`/api/v1/projects/${kept}`, { method: 'DELETE' })).status).toBe(404);

    const full = uniqueName('purge');
    await onboard(full);
    await pushModel(h().emulator.url, `${full}/m`, '1.0.0');
    // The project page shows Harbor's figures as of the last workflow that asked Harbor.
    expect((await stack.app.request(`/api/v1/projects/${full}/refresh`, { method: 'POST' })).status).toBe(200);
    expect((await readJson(await stack.app.request(`/api/v1/projects/${full}`))).harbor).toMatchObject({ repoCount: 1, quotaUsed: expect.any(Number) });
    const refused = await stack.app.request(`/api/v1/projects/${full}?purge=true`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await readJson(refused)).detail).toMatch(/1 artifacts/);
    expect(h().emulator.state.projects.has(full)).toBe(true);
    const purged = await stack.app.request(`/api/v1/projects/${full}?purge=true&force=true`, { method: 'DELETE' });
    expect(purged.status).toBe(200);
    expect(h().emulator.state.projects.has(full)).toBe(false);

    const audit = await stack.database.sql`select action, actor, details from modelregistry.audit_events where resource in (${`projects/${stack.registry}/${kept}`}, ${`projects/${stack.registry}/${full}`}) order by occurred_at`;
    expect(audit.map((a) => [a.action, a.actor])).toEqual([['project.archived', 'dana'], ['project.purged', 'test-admin']]);
    expect(audit[0]!.details).toMatchObject({ actorSubject: danaSubject });
    expect(audit[1]!.details).toMatchObject({ purge: true, force: true, deletedRepositories: 1, actorSubject: 'local:test-admin' });

    const typesOf = (records: ConsumedRecord[], n: string) => records.filter((e) => e.key === `projects/${stack.registry}/${n}`).map((e) => JSON.parse(e.value).type);
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the events of both projects',
      until: (records) => typesOf(records, kept).length >= 2 && typesOf(records, full).length >= 3,
      never: { what: 'a further event of either project', check: (records) => typesOf(records, kept).length > 2 || typesOf(records, full).length > 3, forMs: 1000 },
    });
    const types = (n: string) => typesOf(events, n);
    expect(types(kept)).toEqual(['modelregistry.project.created', 'modelregistry.project.archived']);
    expect(types(full)).toEqual(['modelregistry.project.created', 'modelregistry.model.refreshed', 'modelregistry.project.purged']);
  });
});
