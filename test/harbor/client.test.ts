import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { createHarborInstances } from '../../activities/harbor';
import { harborConfigFromEnv } from '../../lib/config';
import { failureOf, startHarbor, type HarborTestbed } from '../support/harbor';
import { createHarborAdminClient, HarborRole, type HarborRetentionPolicy } from '../support/harbor-admin';
import { uniqueName } from '../support/stack';
import { pushModel } from './oci-push';

describe('Harbor client against the emulator', () => {
  let h: HarborTestbed;
  beforeAll(async () => {
    h = await startHarbor();
  });
  afterEach(() => {
    // Strict mode: any emulator answer outside Harbor's definition fails the test that caused it.
    expect(h.emulator.violations).toEqual([]);
    h.emulator.faults.reset();
  });
  afterAll(() => h.stop());

  it('answers ping, health and systeminfo', async () => {
    expect(await h.client.system.ping()).toBe('Pong');
    expect((await h.client.system.health())?.status).toBe('healthy');
    expect((await h.client.system.info())?.harbor_version).toMatch(/^v2\./);
  });

  it('creates, reads, updates, summarises and deletes a project with metadata and quota', async () => {
    const name = uniqueName('proj');
    expect(await h.client.projects.exists(name)).toBe(false);
    const id = await h.client.projects.create({
      project_name: name,
      public: false,
      storage_limit: 10 * 1024 ** 3,
      metadata: { public: 'false', auto_scan: 'true', enable_content_trust_cosign: 'true', prevent_vul: 'true', severity: 'high' },
    });
    expect(id).toBeGreaterThan(0);
    expect(await h.client.projects.exists(name)).toBe(true);
    const project = await h.client.projects.get(name);
    expect(project).toMatchObject({ project_id: id, name, metadata: { auto_scan: 'true', enable_content_trust_cosign: 'true', prevent_vul: 'true', severity: 'high', public: 'false' } });
    await h.client.projects.update(name, { metadata: { public: 'true', severity: 'critical' } });
    expect((await h.client.projects.get(name))?.metadata).toMatchObject({ public: 'true', severity: 'critical', auto_scan: 'true' });
    const summary = await h.client.projects.summary(name);
    expect(summary?.quota?.hard).toEqual({ storage: 10 * 1024 ** 3 });
    expect(summary?.repo_count).toBe(0);
    await h.client.projects.delete(name);
    expect(await h.client.projects.exists(name)).toBe(false);
  });

  it("takes a project name of digits as a name on Harbor's name-only routes (repositories), not as another project's id", async () => {
    const other = uniqueName('proj');
    const otherId = await h.client.projects.create({ project_name: other, metadata: { public: 'false' } });
    await pushModel(h.emulator.url, `${other}/m`, '1.0.0');
    const digits = String(otherId);
    await h.client.projects.create({ project_name: digits, metadata: { public: 'false' } });
    expect((await h.client.repositories.list(digits)).items).toEqual([]);
    expect((await h.client.repositories.list(other)).items.map((r) => r.name)).toEqual([`${other}/m`]);
    await h.client.projects.delete(digits);
  });

  it('maps Harbor errors: 400 invalid name, 409 duplicate, 404 missing are non-retryable with Harbor\'s message', async () => {
    const bad = await failureOf(h.client.projects.create({ project_name: 'Bad_Name!' }));
    expect(bad.type).toBe('HarborBadRequest');
    expect(bad.nonRetryable).toBe(true);
    expect(bad.message).toMatch(/illegal characters/);

    const name = uniqueName('dup');
    await h.client.projects.create({ project_name: name });
    const dup = await failureOf(h.client.projects.create({ project_name: name }));
    expect([dup.type, dup.nonRetryable]).toEqual(['HarborConflict', true]);
    expect(dup.message).toContain('already exists');

    const missing = await failureOf(h.client.projects.get(uniqueName('missing')));
    expect([missing.type, missing.nonRetryable]).toEqual(['HarborNotFound', true]);
  });

  it('maps 5xx and 429 to retryable failures, honouring Retry-After, and never leaks credentials', async () => {
    h.emulator.faults.failNext('getProject', 503);
    const unavailable = await failureOf(h.client.projects.get('anything'));
    expect([unavailable.type, unavailable.nonRetryable]).toEqual(['HarborUnavailable', false]);

    h.emulator.faults.failNext('listProjects', 429, 1, 7);
    const throttled = await failureOf(h.client.projects.list());
    expect(throttled.nonRetryable).toBe(false);
    expect(throttled.nextRetryDelay).toBe(7000);
    expect(JSON.stringify(throttled)).not.toContain(h.emulator.password);
    expect(throttled.message).not.toContain(h.emulator.password);
  });

  it('maps every other 4xx but 408 to a non-retryable failure: sending it again cannot help', async () => {
    h.emulator.faults.failNext('getProject', 405);
    const rejected = await failureOf(h.client.projects.get('anything'));
    expect([rejected.type, rejected.nonRetryable]).toEqual(['HarborRejected', true]);
    h.emulator.faults.failNext('getProject', 408);
    const timedOut = await failureOf(h.client.projects.get('anything'));
    expect([timedOut.type, timedOut.nonRetryable]).toEqual(['HarborUnavailable', false]);
  });

  it('maps network errors and time-outs to retryable failures', async () => {
    const dead = createHarborAdminClient({ baseUrl: 'http://127.0.0.1:1', username: 'admin', password: 'secret-pw', timeoutMs: 500 });
    const refused = await failureOf(dead.system.ping());
    expect([refused.type, refused.nonRetryable]).toEqual(['HarborUnavailable', false]);
    expect(refused.message).not.toContain('secret-pw');

    h.emulator.faults.latencyMs = 800;
    const slow = createHarborAdminClient({ baseUrl: h.emulator.url, username: 'admin', password: 'Harbor12345', timeoutMs: 200 });
    const timedOut = await failureOf(slow.system.health());
    expect(timedOut.message).toMatch(/timed out/);
    expect(timedOut.nonRetryable).toBe(false);
  });

  it('refuses wrong credentials with a non-retryable failure', async () => {
    const wrong = createHarborAdminClient({ baseUrl: h.emulator.url, username: 'admin', password: 'nope', timeoutMs: 2000 });
    const denied = await failureOf(wrong.projects.list());
    expect([denied.type, denied.nonRetryable]).toEqual(['HarborForbidden', true]);
  });

  it('pages projects with page/page_size, X-Total-Count and Link', async () => {
    const prefix = uniqueName('pg');
    for (let i = 0; i < 5; i++) await h.client.projects.create({ project_name: `${prefix}-${i}` });
    const { data, response } = await h.client.api.GET('/projects', { params: { query: { page: 1, page_size: 2 } } });
    expect(data).toHaveLength(2);
    expect(Number(response.headers.get('x-total-count'))).toBeGreaterThanOrEqual(5);
    expect(response.headers.get('link')).toMatch(/rel="next"/);
    const all = await h.client.all((page, pageSize) => h.client.projects.list({ page, pageSize }), 2);
    expect(all.filter((p) => p.name?.startsWith(prefix)).map((p) => p.name)).toEqual([0, 1, 2, 3, 4].map((i) => `${prefix}-${i}`));
  });

  it('manages OIDC group and user members with Harbor role ids', async () => {
    const name = uniqueName('members');
    await h.client.projects.create({ project_name: name });
    const groupId = await h.client.members.addGroup(name, 'acme-ml-developers', HarborRole.Developer);
    await h.client.members.addUser(name, 'alice', HarborRole.Guest);
    let members = await h.client.members.list(name);
    expect(members.find((m) => m.entity_name === 'acme-ml-developers')).toMatchObject({ entity_type: 'g', role_id: 2, role_name: 'developer' });
    expect(members.find((m) => m.entity_name === 'alice')).toMatchObject({ entity_type: 'u', role_id: 3 });
    await h.client.members.updateRole(name, groupId, HarborRole.Maintainer);
    members = await h.client.members.list(name);
    expect(members.find((m) => m.id === groupId)?.role_id).toBe(4);
    expect((await failureOf(h.client.members.addGroup(name, 'acme-ml-developers', 1))).type).toBe('HarborConflict');
    await h.client.members.remove(name, groupId);
    expect((await h.client.members.list(name)).some((m) => m.id === groupId)).toBe(false);
    expect((await h.client.userGroups.list()).some((g) => g.group_name === 'acme-ml-developers')).toBe(true);
  });

  it('lists every member of a project with more than one page of them', async () => {
    const name = uniqueName('crowd');
    await h.client.projects.create({ project_name: name, metadata: { public: 'false' } });
    const before = (await h.client.members.list(name)).length;
    for (let i = 0; i < 105; i++) await h.client.members.addGroup(name, `crowd-${i}`, HarborRole.Guest);
    const members = await h.client.members.list(name);
    expect(members).toHaveLength(before + 105);
    expect(new Set(members.map((m) => m.entity_name)).size).toBe(before + 105);
  });

  it('creates, lists, updates and deletes webhook policies with auth headers in both formats', async () => {
    const name = uniqueName('hooks');
    await h.client.projects.create({ project_name: name });
    const id = await h.client.webhooks.create(name, {
      name: 'model-registry',
      enabled: true,
      event_types: ['PUSH_ARTIFACT', 'DELETE_ARTIFACT'],
      targets: [{ type: 'http', address: 'http://127.0.0.1:9/hooks', auth_header: 'Bearer s3cret', skip_cert_verify: false, payload_format: 'Default' }],
    });
    const [policy] = await h.client.webhooks.list(name);
    expect(policy).toMatchObject({ id, name: 'model-registry', targets: [{ auth_header: 'Bearer s3cret', payload_format: 'Default' }] });
    await h.client.webhooks.update(name, id, { ...policy, targets: [{ ...policy!.targets![0]!, payload_format: 'CloudEvents' }] });
    expect((await h.client.webhooks.list(name))[0]?.targets?.[0]?.payload_format).toBe('CloudEvents');
    await h.client.webhooks.delete(name, id);
    expect(await h.client.webhooks.list(name)).toEqual([]);
    expect((await failureOf(h.client.webhooks.create(name, { name: 'x', targets: [], event_types: [] }))).type).toBe('HarborBadRequest');
  });

  it('creates, lists, refreshes and deletes project robot accounts', async () => {
    const name = uniqueName('robots');
    const projectId = await h.client.projects.create({ project_name: name });
    const created = await h.client.robots.create({
      name: 'ci',
      level: 'project',
      duration: 30,
      permissions: [{ kind: 'project', namespace: name, access: [{ resource: 'repository', action: 'push' }, { resource: 'repository', action: 'pull' }] }],
    });
    expect(created?.name).toBe(`robot$${name}+ci`);
    expect(created?.secret).toBeTruthy();
    const listed = await h.client.robots.listForProject(projectId);
    expect(listed.map((r) => r.name)).toEqual([`robot$${name}+ci`]);
    expect(listed[0]?.secret).toBeUndefined();
    const refreshed = await h.client.robots.refreshSecret(created!.id!);
    expect(refreshed?.secret).toBeTruthy();
    expect(refreshed?.secret).not.toBe(created?.secret);
    await h.client.robots.delete(created!.id!);
    expect(await h.client.robots.listForProject(projectId)).toEqual([]);
  });

  it('creates and pings registries, and runs replication policies and executions', async () => {
    const name = uniqueName('remote');
    const registryId = await h.client.registries.create({ name, type: 'docker-registry', url: h.emulator.url, insecure: true, credential: { type: 'basic', access_key: 'u', access_secret: 'p' } });
    await h.client.registries.ping({ id: registryId });
    expect((await h.client.registries.list()).find((r) => r.id === registryId)?.credential?.access_secret).toBe('*****');
    expect((await failureOf(h.client.registries.ping({ url: 'http://127.0.0.1:1' }))).type).toBe('HarborBadRequest');
    // A name filter no repository matches: the execution ends at once with nothing to copy, as Harbor's does.
    const policyId = await h.client.replication.createPolicy({
      name: `${name}-push`,
      dest_registry: { id: registryId },
      dest_namespace: 'mirror',
      trigger: { type: 'manual' },
      filters: [{ type: 'name', value: `${name}/**` }],
      enabled: true,
      override: true,
    });
    expect((await h.client.replication.listPolicies(`${name}-push`)).map((p) => p.id)).toEqual([policyId]);
    const executionId = await h.client.replication.startExecution(policyId);
    const ended = await eventually('the execution ends', async () => {
      const e = await h.client.replication.getExecution(executionId);
      return e?.status !== 'InProgress' && e;
    });
    expect(ended).toMatchObject({ id: executionId, policy_id: policyId, status: 'Succeed', status_text: 'no resources need to be replicated', total: 0, trigger: 'manual' });
    expect((await h.client.replication.listRecentExecutions(policyId, 10)).map((e) => e.id)).toEqual([executionId]);
    expect(await h.client.replication.listTasks(executionId)).toEqual([]);
    await h.client.replication.deletePolicy(policyId);
  });

  it('creates, reads, updates and deletes a retention policy bound to a project', async () => {
    const name = uniqueName('retain');
    const projectId = await h.client.projects.create({ project_name: name });
    const policy = {
      algorithm: 'or',
      rules: [{ action: 'retain', template: 'latestPushedK', params: { latestPushedK: 5 }, tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } }],
      trigger: { kind: 'Schedule', settings: { cron: '0 0 0 * * *' } },
      scope: { level: 'project', ref: projectId },
      // Harbor's definition types rule params as objects; Harbor uses numbers (see the emulator README).
    } as unknown as HarborRetentionPolicy;
    const id = await h.client.retention.create(policy);
    expect((await h.client.projects.get(name))?.metadata?.retention_id).toBe(String(id));
    expect((await h.client.retention.get(id))?.rules?.[0]?.template).toBe('latestPushedK');
    await h.client.retention.update(id, { ...policy, rules: [{ ...policy.rules![0]!, params: { latestPushedK: 3 } }] } as unknown as HarborRetentionPolicy);
    expect((await h.client.retention.get(id))?.rules?.[0]?.params).toEqual({ latestPushedK: 3 });
    await h.client.retention.delete(id);
    expect((await failureOf(h.client.retention.get(id))).type).toBe('HarborNotFound');
  });

  it('manages OIDC user groups', async () => {
    const group = uniqueName('grp');
    const id = await h.client.userGroups.create(group);
    expect((await h.client.userGroups.list()).find((g) => g.id === id)).toMatchObject({ group_name: group, group_type: 3 });
    await h.client.userGroups.delete(id);
    expect((await h.client.userGroups.list()).some((g) => g.id === id)).toBe(false);
  });

  it('lists, reads, updates and deletes repositories and pages artifacts across pages', async () => {
    const project = uniqueName('models');
    await h.client.projects.create({ project_name: project });
    const pushed = [];
    for (const tag of ['1.0.0', '1.1.0', '2.0.0']) pushed.push(await pushModel(h.emulator.url, `${project}/llama-ft`, tag));
    await pushModel(h.emulator.url, `${project}/other`, '0.1.0');

    const repos = await h.client.repositories.list(project);
    expect(repos.items.map((r) => r.name).sort()).toEqual([`${project}/llama-ft`, `${project}/other`]);
    expect(repos.total).toBe(2);
    await h.client.repositories.updateDescription(project, 'llama-ft', 'fine-tuned llama');
    expect(await h.client.repositories.get(project, 'llama-ft')).toMatchObject({ name: `${project}/llama-ft`, description: 'fine-tuned llama', artifact_count: 3 });

    const page1 = await h.client.artifacts.list(project, 'llama-ft', { page: 1, pageSize: 2 });
    expect(page1.items).toHaveLength(2);
    expect(page1.total).toBe(3);
    const all = await h.client.all((page, pageSize) => h.client.artifacts.list(project, 'llama-ft', { page, pageSize }), 2);
    expect(all.map((a) => a.digest).sort()).toEqual(pushed.map((p) => p.digest).sort());

    await h.client.repositories.delete(project, 'other');
    expect((await failureOf(h.client.repositories.get(project, 'other'))).type).toBe('HarborNotFound');
  });

  it('gets artifacts by tag and digest, adds and deletes tags, deletes artifacts', async () => {
    const project = uniqueName('tags');
    await h.client.projects.create({ project_name: project });
    const model = await pushModel(h.emulator.url, `${project}/bert`, '1.0.0');
    const byTag = await h.client.artifacts.get(project, 'bert', '1.0.0');
    expect(byTag?.digest).toBe(model.digest);
    await h.client.artifacts.addTag(project, 'bert', model.digest, 'latest');
    expect((await h.client.artifacts.get(project, 'bert', model.digest))?.tags?.map((t) => t.name).sort()).toEqual(['1.0.0', 'latest']);
    expect((await failureOf(h.client.artifacts.addTag(project, 'bert', model.digest, 'latest'))).type).toBe('HarborConflict');
    await h.client.artifacts.deleteTag(project, 'bert', model.digest, 'latest');
    expect((await h.client.artifacts.get(project, 'bert', model.digest))?.tags?.map((t) => t.name)).toEqual(['1.0.0']);
    await h.client.artifacts.delete(project, 'bert', model.digest);
    expect((await failureOf(h.client.artifacts.get(project, 'bert', model.digest))).type).toBe('HarborNotFound');
  });

  it('scans an artifact: 202, then a scan overview and a vulnerability report', async () => {
    const project = uniqueName('scan');
    await h.client.projects.create({ project_name: project });
    const model = await pushModel(h.emulator.url, `${project}/vit`, '1.0.0');
    await h.client.artifacts.scan(project, 'vit', '1.0.0');
    const scanOverview = async () => (await h.client.artifacts.get(project, 'vit', model.digest, { withScanOverview: true }))?.scan_overview as Record<string, { scan_status?: string; severity?: string }> | undefined;
    const overview = await eventually('the scan overview', scanOverview, { timeoutMs: 2500, intervalMs: 50 });
    const report = Object.values(overview)[0]!;
    expect(report.scan_status).toBe('Success');
    expect(['None', 'Low', 'Medium', 'High', 'Critical']).toContain(report.severity);
    const vulnerabilities = (await h.client.artifacts.vulnerabilities(project, 'vit', model.digest)) as unknown as Record<string, { severity: string }>;
    expect(Object.values(vulnerabilities)[0]?.severity).toBe(report.severity);
  });

  it('keeps several Harbor instances apart by registry address, configured from the environment', async () => {
    const configs = harborConfigFromEnv({
      HARBOR_INSTANCES: JSON.stringify([
        { address: 'harbor-a.local', url: h.emulator.url, username: 'admin', password: 'Harbor12345' },
        { address: 'harbor-b.local', url: 'http://127.0.0.1:1', username: 'admin', password: 'x' },
      ]),
    })!;
    const instances = createHarborInstances(configs, { timeoutMs: 5000, client: createHarborAdminClient });
    expect(instances.addresses()).toEqual(['harbor-a.local', 'harbor-b.local']);
    expect(await instances.get('harbor-a.local').system.ping()).toBe('Pong');
    expect((await failureOf(instances.get('harbor-b.local').system.ping())).type).toBe('HarborUnavailable');
    expect(() => instances.get('nowhere')).toThrow(/unknown registry/);
    expect(harborConfigFromEnv({ HARBOR_URL: 'https://harbor.example.com', HARBOR_PASSWORD: 'pw' })).toEqual([
      { address: 'harbor.example.com', url: 'https://harbor.example.com', username: 'admin', password: 'pw' },
    ]);
    expect(() => harborConfigFromEnv({ HARBOR_INSTANCES: '[{"address":"a"}]' })).toThrow(/HARBOR_INSTANCES is invalid/);
    expect(harborConfigFromEnv({})).toBeUndefined();
  });
});
