import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestSchema } from '../../gen/google/rpc/error_details_pb';
import { CheckpointSchema } from '../../gen/modelregistry/v1/checkpoints_pb';
import { CleanupCandidatesSchema, CleanupPolicyViewSchema, TenantCleanupCandidatesSchema } from '../../gen/modelregistry/v1/cleanup_pb';
import { MembershipChangesSchema, MembershipUpdateSchema } from '../../gen/modelregistry/v1/members_pb';
import { ModelSchema, RefreshResultSchema } from '../../gen/modelregistry/v1/models_pb';
import type { Operation } from '../../gen/modelregistry/v1/operations_pb';
import { ProjectSchema } from '../../gen/modelregistry/v1/projects_pb';
import { ListRegistryModelsResponseSchema, RegistryPingSchema, RemoteRegistrySchema } from '../../gen/modelregistry/v1/registries_pb';
import { ApprovalSchema, PromotionSchema } from '../../gen/modelregistry/v1/promotions_pb';
import { ReplicationExecutionSchema, ReplicationRuleSchema, SyncResultSchema } from '../../gen/modelregistry/v1/replications_pb';
import { RobotSchema } from '../../gen/modelregistry/v1/robots_pb';
import { TenantSchema } from '../../gen/modelregistry/v1/tenants_pb';
import { UserRemovalSchema, UserSchema } from '../../gen/modelregistry/v1/users_pb';
import { CacheRemovalSchema, UpstreamCheckSchema, UpstreamSchema, VirtualRegistrySchema, WarmProgressSchema } from '../../gen/modelregistry/v1/virtual_registries_pb';
import { toJsonString } from '@bufbuild/protobuf';
import { HARBOR_ROLE_IDS, projectGroupPath } from '../../lib/membership';
import { pushModel } from '../harbor/oci-push';
import { pushVersion, servedDigest } from '../promotion/support';
import { eventually } from '../support/eventually';
import { grpcClients, type GrpcClients } from '../support/grpc';
import { readJson } from '../support/http';
import { startOciRegistry } from '../servers/oci-registry';
import { pauseRuleSyncSchedule } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** The RPC's failure, which it must have. */
async function failureOf(call: Promise<unknown>): Promise<ConnectError> {
  const err = await call.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'the call should have failed').toBeInstanceOf(ConnectError);
  return err as ConnectError;
}

/** The fields named by an error's google.rpc.BadRequest, each once, sorted. */
const violationsOf = (err: ConnectError) => [...new Set(err.findDetails(BadRequestSchema).flatMap((d) => d.fieldViolations.map((v) => v.field)))].sort();

/** The typed answer of an operation the RPC waited out. */
function responseOf<S extends Parameters<typeof anyUnpack>[1]>(op: Operation, schema: S) {
  expect(op.done, 'the RPC waited the operation out').toBe(true);
  const message = op.result.case === 'response' ? anyUnpack(op.result.value, schema) : undefined;
  if (!message) throw new Error(`no ${schema.typeName} in operation ${op.id}: ${op.result.case ?? 'no result'}`);
  return message;
}

/** The runbook (tenant, project, push, list, resolve, refresh) over a real gRPC client, against the stack's services. */
describe('gRPC API: the runbook', () => {
  let stack: TestStack;
  let rpc: GrpcClients;
  const tenant = uniqueName('grpc-tenant');
  const project = uniqueName('grpc-proj');

  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true });
    rpc = grpcClients(stack);
  }, 120_000);
  afterAll(() => stack?.close());

  it('creates a tenant, and on repeat answers ALREADY_EXISTS with the updated tenant (REST: 409)', async () => {
    const op = await rpc.tenants.createTenant({ name: tenant, companyName: 'Acme', url: 'https://acme.example' });
    expect(op.id).not.toBe('');
    expect(responseOf(op, TenantSchema)).toMatchObject({ name: tenant, companyName: 'Acme' });
    const again = await failureOf(rpc.tenants.createTenant({ name: tenant, companyName: 'Acme Corp', url: 'https://acme.example' }));
    expect(again.code).toBe(Code.AlreadyExists);
    expect(again.findDetails(TenantSchema)[0]).toMatchObject({ name: tenant, companyName: 'Acme Corp' });
    // The same row REST reads.
    expect((await readJson(await stack.app.request(`/api/v1/tenants/${tenant}`))).companyName).toBe('Acme Corp');
    // A request id as REST's: the caller's when it gives one, answered in the headers.
    let requestId: string | null = null;
    const got = await rpc.tenants.getTenant({ name: tenant }, { headers: { 'x-request-id': `grpc-${tenant}` }, onHeader: (h) => (requestId = h.get('x-request-id')) });
    expect(got.companyName).toBe('Acme Corp');
    expect(requestId).toBe(`grpc-${tenant}`);
  });

  it('names the same fields as REST in INVALID_ARGUMENT field violations, never UNKNOWN', async () => {
    const bad = await failureOf(rpc.tenants.createTenant({ name: 'Not A Name', companyName: 'x', url: 'ftp://x' }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(violationsOf(bad)).toEqual(['name', 'url']);
    const rest = await readJson(await stack.app.request('/api/v1/tenants', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'Not A Name', companyName: 'x', url: 'ftp://x' }) }));
    expect([...new Set(rest.errors.map((e: { field: string }) => e.field))].sort()).toEqual(['body.name', 'body.url']);

    // REST's body.display_name, body.tenantId, body.members.0.role: the request's proto fields.
    const project = await failureOf(rpc.projects.onboardProject({ name: 'ok-name', displayName: '', tenantId: '', members: [{ group: 'g', role: 'king' }] }));
    expect(project.code).toBe(Code.InvalidArgument);
    expect(violationsOf(project)).toEqual(['display_name', 'members.0.role', 'tenant_id']);
    // A tenant's name is checked as REST's path is (param.name), not looked up as given.
    for (const name of ['a'.repeat(300), 'a\u0001b']) {
      const got = await failureOf(rpc.tenants.getTenant({ name }));
      expect(got.code).toBe(Code.InvalidArgument);
      expect(violationsOf(got)).toEqual(['name']);
    }
    // Page parameters are AIP-158's: REST's query.limit is page_size, query.cursor page_token.
    const page = await failureOf(rpc.projects.listProjects({ pageSize: 501, pageToken: 'not-a-cursor!' }));
    expect(violationsOf(page)).toEqual(['page_size', 'page_token']);
    const cursor = await failureOf(rpc.tenants.listTenants({ pageToken: 'bm90LWEtY3Vyc29y' + 'x' }));
    expect(cursor.code).toBe(Code.InvalidArgument);
    expect(violationsOf(cursor)).toEqual(['page_token']);
    const key = await failureOf(rpc.tenants.createTenant({ name: uniqueName('t'), companyName: 'x', url: 'https://x.example' }, { headers: { 'idempotency-key': 'k'.repeat(300) } }));
    expect(violationsOf(key)).toEqual(['idempotency-key']);
    const name = await failureOf(rpc.models.resolveModel({ name: 'not a name' }));
    expect(name.code).toBe(Code.InvalidArgument);
    expect(violationsOf(name)).toEqual(['name']);
  });

  it('onboards a project, lists a pushed model, resolves it and refreshes', async () => {
    const op = await rpc.projects.onboardProject({ name: project, displayName: 'gRPC project', tenantId: tenant, robot: {} }, { headers: { 'idempotency-key': `onboard-${project}` } });
    const onboarded = responseOf(op, ProjectSchema);
    expect(onboarded).toMatchObject({ name: project, tenantId: tenant, displayName: 'gRPC project', registry: stack.registry });
    expect(onboarded.robot?.secret).toMatch(/.{8,}/);
    // The same key joins the finished onboarding instead of starting another.
    const joined = await rpc.projects.onboardProject({ name: project, displayName: 'gRPC project', tenantId: tenant, robot: {} }, { headers: { 'idempotency-key': `onboard-${project}` } });
    expect(joined.id).toBe(op.id);
    const repeat = await failureOf(rpc.projects.onboardProject({ name: project, displayName: 'gRPC project', tenantId: tenant }));
    expect(repeat.code).toBe(Code.AlreadyExists);

    const got = await rpc.projects.getProject({ name: project });
    expect(got).toMatchObject({ name: project, tenantId: tenant, archived: false });
    expect(got.robot).toBeUndefined(); // the secret is in the onboarding's answer only

    // A robot: its secret in the create and refresh answers only.
    const robot = responseOf(await rpc.robots.createRobot({ project, name: 'deployer', permissions: ['pull'] }), RobotSchema);
    expect(robot).toMatchObject({ name: `robot$${project}+deployer`, permissions: ['pull'], archived: false });
    expect(robot.secret).toMatch(/.{8,}/);
    expect((await rpc.robots.getRobot({ project, robot: 'deployer' })).secret).toBe('');
    expect((await rpc.robots.listRobots({ project })).robots.map((r) => r.name)).toEqual(expect.arrayContaining([`robot$${project}+deployer`]));
    const renewed = responseOf(await rpc.robots.refreshRobotSecret({ project, robot: 'deployer' }), RobotSchema);
    expect(renewed.secret).not.toBe(robot.secret);
    expect(responseOf(await rpc.robots.deleteRobot({ project, robot: 'deployer' }), RobotSchema).archived).toBe(true);
    const badRobot = await failureOf(rpc.robots.createRobot({ project, name: 'Bad Name', permissions: [] }));
    expect(violationsOf(badRobot)).toEqual(['name', 'permissions']);

    const { digest } = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    const listed = await eventually('the pushed model in ListModels', async () => {
      const page = await rpc.models.listModels({ project });
      return page.models.find((m) => m.name === 'llama');
    });
    expect(listed).toMatchObject({ project, registry: stack.registry });
    const model = await rpc.models.getModel({ project, model: 'llama' });
    expect(model.versions.map((v) => [v.tag, v.digest, v.semver])).toEqual([['1.0.0', digest, true]]);
    const resolved = await rpc.models.resolveModel({ name: `${stack.registry}/${project}/llama:1.0.0` });
    expect(resolved).toMatchObject({ registry: stack.registry, project, model: 'llama', tag: '1.0.0', digest, tags: ['1.0.0'] });
    const version = await rpc.models.getModelVersion({ project, model: 'llama', tag: '1.0.0' });
    expect(version.fullName).toBe(`${stack.registry}/${project}/llama:1.0.0`);

    // The runbook's "Refreshing Model Data": the catalogue made to match Harbor, model or project.
    const refreshed = responseOf(await rpc.models.refreshModel({ project, model: 'llama' }), RefreshResultSchema);
    expect(refreshed.repositories.map((r) => r.name)).toEqual(['llama']);
    const project2 = responseOf(await rpc.projects.refreshProject({ name: project }), RefreshResultSchema);
    expect(project2.repositories.map((r) => r.name)).toContain('llama');

    const updated = responseOf(await rpc.models.updateModel({ project, model: 'llama', labels: ['team=nlp'], customMetadata: { owner: 'ml' } }), ModelSchema);
    expect(updated).toMatchObject({ labels: ['team=nlp'], customMetadata: { owner: 'ml' } });
    const cleared = responseOf(await rpc.models.updateModel({ project, model: 'llama', updateMask: { paths: ['labels'] } }), ModelSchema);
    expect(cleared.labels).toEqual([]);
    expect(cleared.customMetadata).toEqual({ owner: 'ml' });
  }, 120_000);

  it("manages a tenant's remote registries: Harbor endpoints pinged on change, credentials write-only", async () => {
    const name = uniqueName('grpc-remote');
    const secret = `s-${uniqueName('s3cr3t')}`;
    const made = responseOf(await rpc.registries.createRegistry({ tenant, name, type: 'docker-registry', url: stack.harbor.registryUrl, credential: { accessKey: 'puller', accessSecret: secret } }), RemoteRegistrySchema);
    expect(made).toMatchObject({ name, tenant, type: 'docker-registry', url: stack.harbor.registryUrl, insecure: false, hasCredentials: true, registry: stack.registry, ping: { reachable: true } });
    const got = await rpc.registries.getRegistry({ name });
    expect(got.id).toBe(made.id);
    expect(got.ping).toBeUndefined();
    expect(toJsonString(RemoteRegistrySchema, got)).not.toContain(secret);
    expect((await rpc.registries.listRegistries({})).registries.map((r) => r.name)).toContain(name);
    expect(responseOf(await rpc.registries.updateRegistry({ name, description: 'the stack' }), RemoteRegistrySchema)).toMatchObject({ description: 'the stack', ping: { reachable: true } });
    const rotated = responseOf(await rpc.registries.setRegistryCredentials({ name, credential: { accessKey: 'puller2', accessSecret: `${secret}-2` } }), RemoteRegistrySchema);
    expect(rotated.hasCredentials).toBe(true);
    expect(stack.harbor.emulator.state.registries.get(Number(made.harborRegistryId))?.credential).toMatchObject({ access_key: 'puller2', access_secret: `${secret}-2` });
    const bad = await failureOf(rpc.registries.setRegistryCredentials({ name, credential: { accessKey: '' } }));
    expect(violationsOf(bad)).toEqual(['credential.access_key', 'credential.access_secret']);
    expect(responseOf(await rpc.registries.pingRegistry({ name }), RegistryPingSchema)).toMatchObject({ reachable: true, status: 'healthy' });
    expect(responseOf(await rpc.registries.deleteRegistry({ name }), RemoteRegistrySchema).name).toBe(name);
    expect((await failureOf(rpc.registries.getRegistry({ name }))).code).toBe(Code.NotFound);
  }, 120_000);

  it("manages a tenant's upstreams and virtual registries: credentials write-only, the list set at once, warmed and purged", async () => {
    const password = `pw-${uniqueName('s3cr3t')}`;
    const mirror = await startOciRegistry({ auth: { username: 'puller', password } });
    try {
      const repository = `acme/${uniqueName('grpc-warm')}`;
      const pushed = await pushModel(mirror.url, repository, '1.0.0', { auth: { username: 'puller', password } });
      const up = uniqueName('grpc-up');

      const created = responseOf(await rpc.upstreams.createUpstream({ tenant, name: up, url: mirror.url, description: 'the mirror', credential: { username: 'puller', password } }), UpstreamSchema);
      expect(created).toMatchObject({ tenant, name: up, url: mirror.url, description: 'the mirror', cacheValidityHours: 24, credentialKind: 'basic', username: 'puller', hasCredentials: true });
      const got = await rpc.upstreams.getUpstream({ tenant, upstream: up });
      expect(got.id).toBe(created.id);
      expect(toJsonString(UpstreamSchema, got)).not.toContain(password); // write-only
      expect((await rpc.upstreams.listUpstreams({ tenant })).upstreams.map((u) => u.name)).toContain(up);
      expect(responseOf(await rpc.upstreams.checkUpstream({ tenant, upstream: up }), UpstreamCheckSchema)).toMatchObject({ reachable: true, authenticated: true, status: 200 });
      const bad = await failureOf(rpc.upstreams.createUpstream({ tenant, name: 'Bad Name', url: 'ftp://x', cacheValidityHours: -1, credential: { username: 'u' } }));
      expect(bad.code).toBe(Code.InvalidArgument);
      expect(violationsOf(bad)).toEqual(['cache_validity_hours', 'credential.password', 'name', 'url']);

      const vr = uniqueName('grpc-vr');
      expect(responseOf(await rpc.virtualRegistries.createVirtualRegistry({ tenant, name: vr }), VirtualRegistrySchema)).toMatchObject({ tenant, name: vr, upstreams: [] });
      const set = responseOf(await rpc.virtualRegistries.setVirtualRegistryUpstreams({ tenant, virtualRegistry: vr, upstreams: [{ upstream: up, position: 1 }] }), VirtualRegistrySchema);
      expect(set.upstreams.map((u) => [u.position, u.upstream, u.url])).toEqual([[1, up, mirror.url]]);
      const twice = await failureOf(rpc.virtualRegistries.setVirtualRegistryUpstreams({ tenant, virtualRegistry: vr, upstreams: [{ upstream: up, position: 1 }, { upstream: up, position: 1 }] }));
      expect(violationsOf(twice)).toEqual(['upstreams.1.position', 'upstreams.1.upstream']);
      // The service's own check (no such upstream of the tenant) names the message's field too, not REST's list index alone.
      const unknown = await failureOf(rpc.virtualRegistries.setVirtualRegistryUpstreams({ tenant, virtualRegistry: vr, upstreams: [{ upstream: 'nope', position: 1 }] }));
      expect(violationsOf(unknown)).toEqual(['upstreams.0.upstream']);
      expect(responseOf(await rpc.virtualRegistries.updateVirtualRegistry({ tenant, virtualRegistry: vr, description: 'models' }), VirtualRegistrySchema).description).toBe('models');
      expect((await rpc.virtualRegistries.listVirtualRegistries({ tenant })).virtualRegistries.map((r) => r.name)).toContain(vr);
      expect((await rpc.virtualRegistries.getVirtualRegistry({ tenant, virtualRegistry: vr })).upstreams).toHaveLength(1);

      const warmed = responseOf(await rpc.virtualRegistries.warmVirtualRegistry({ tenant, virtualRegistry: vr, name: repository, reference: '1.0.0' }), WarmProgressSchema);
      expect(warmed).toMatchObject({ status: 'done', digest: pushed.digest, blobsTotal: 3n, blobsDone: 3n, blobsCached: 0n });
      const purged = responseOf(await rpc.virtualRegistries.purgeVirtualRegistryCache({ tenant, virtualRegistry: vr, name: repository }), CacheRemovalSchema);
      expect(purged.entries).toBeGreaterThanOrEqual(4n); // the tag's and the digest's manifest, and the blobs
      expect((await failureOf(rpc.virtualRegistries.warmVirtualRegistry({ tenant, virtualRegistry: uniqueName('ghost'), name: repository, reference: '1.0.0' }))).code).toBe(Code.NotFound);

      // An upstream a virtual registry uses is kept unless forced: REST's 409, the failure table's FailedPrecondition (not "it exists").
      const inUse = await failureOf(rpc.upstreams.deleteUpstream({ tenant, upstream: up }));
      expect(inUse.code).toBe(Code.FailedPrecondition);
      expect(inUse.rawMessage).toContain(vr);
      // `credential` in update_mask while unset removes it (REST's null).
      const anonymous = responseOf(await rpc.upstreams.updateUpstream({ tenant, upstream: up, updateMask: { paths: ['credential'] } }), UpstreamSchema);
      expect(anonymous).toMatchObject({ credentialKind: 'none', hasCredentials: false });
      expect(anonymous.username).toBeUndefined();
      expect(responseOf(await rpc.virtualRegistries.deleteVirtualRegistry({ tenant, virtualRegistry: vr }), VirtualRegistrySchema).name).toBe(vr);
      expect(responseOf(await rpc.upstreams.deleteUpstream({ tenant, upstream: up }), UpstreamSchema).name).toBe(up);
      expect((await failureOf(rpc.upstreams.getUpstream({ tenant, upstream: up }))).code).toBe(Code.NotFound);
    } finally {
      await mirror.stop();
    }
  }, 180_000);

  it("shows a project's cleanup policy and candidates, sets and deletes policies, and runs a dry run", async () => {
    expect(await rpc.cleanup.getCleanupPolicy({ project })).toMatchObject({ source: 'default', policy: { mode: 'report', rules: [] } });
    const keepOne = { kind: 'keep_newest', count: 1 };
    const set = responseOf(await rpc.cleanup.setCleanupPolicy({ project, policy: { rules: [keepOne] } }), CleanupPolicyViewSchema);
    expect(set).toMatchObject({ source: 'project', policy: { mode: 'report', rules: [{ kind: 'keep_newest', count: 1, per: 'model' }] } });
    expect(set.updatedAt).toBeDefined();
    const bad = await failureOf(rpc.cleanup.setCleanupPolicy({ project, policy: { mode: 'sometimes', rules: [{ kind: 'keep_newest', count: 0 }] } }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(violationsOf(bad)).toEqual(['policy.mode', 'policy.rules.0.count']);

    const report = responseOf(await rpc.cleanup.listCleanupCandidates({ project, pageSize: 10 }), CleanupCandidatesSchema);
    expect(report).toMatchObject({ project, registry: stack.registry, source: 'project', nextPageToken: '' });
    // One release, the newest kept: nothing to remove.
    expect(report.candidates).toEqual([]);
    expect(report.totals).toMatchObject({ candidates: 0n });
    const preview = responseOf(await rpc.cleanup.previewCleanupCandidates({ project, policy: { rules: [{ kind: 'untagged', olderThanHours: 0 }] } }), CleanupCandidatesSchema);
    expect(preview.source).toBe('inline');

    const tenantSet = responseOf(await rpc.cleanup.setTenantCleanupPolicy({ tenant, policy: { mode: 'report', keepLabel: 'pinned' } }), CleanupPolicyViewSchema);
    expect(tenantSet).toMatchObject({ source: 'tenant', policy: { keepLabel: 'pinned' } });
    expect((await rpc.cleanup.getTenantCleanupPolicy({ tenant })).policy?.keepLabel).toBe('pinned');
    const totals = responseOf(await rpc.cleanup.getTenantCleanupCandidates({ tenant }), TenantCleanupCandidatesSchema);
    expect(totals.projects.map((p) => p.project)).toContain(project);
    // Without its own policy the project inherits its tenant's.
    expect(responseOf(await rpc.cleanup.deleteCleanupPolicy({ project }), CleanupPolicyViewSchema)).toMatchObject({ source: 'tenant', policy: { keepLabel: 'pinned' } });

    const started = await rpc.cleanup.startCleanupRun({ project });
    expect(started).toMatchObject({ dryRun: true, trigger: 'manual' });
    const ended = await eventually('the dry run to end', async () => {
      const run = await rpc.cleanup.getCleanupRun({ project, id: started.id });
      return ['preparing', 'awaiting_approval', 'running'].includes(run.status) ? undefined : run;
    });
    expect(ended.status).toBe('succeeded');
    expect((await rpc.cleanup.listCleanupRuns({ project })).runs.map((r) => r.id)).toContain(started.id);
    // Neither waiting nor active any more: REST's 409s, a precondition over gRPC.
    expect((await failureOf(rpc.cleanup.approveCleanupRun({ project, id: started.id }))).code).toBe(Code.FailedPrecondition);
    expect((await failureOf(rpc.cleanup.cancelCleanupRun({ project, id: started.id }))).code).toBe(Code.FailedPrecondition);
    expect(violationsOf(await failureOf(rpc.cleanup.getCleanupRun({ project, id: 'not-a-uuid' })))).toEqual(['id']);
  }, 120_000);

  it("manages a tenant's users and a project's members in Keycloak: no password taken, Harbor's members synced", async () => {
    const username = uniqueName('grpc-user');
    const made = responseOf(await rpc.users.createUser({ tenant, username, email: `${username}@grpc.example`, firstName: 'Gina', role: 'developer' }), UserSchema);
    expect(made).toMatchObject({ username, email: `${username}@grpc.example`, firstName: 'Gina', enabled: true, emailVerified: false, roles: ['developer'] });
    expect(made.lastName).toBeUndefined();
    expect(made.requiredActions).toEqual(expect.arrayContaining(['UPDATE_PASSWORD', 'VERIFY_EMAIL']));
    expect((await rpc.users.listUsers({ tenant })).users.map((u) => u.username)).toContain(username);
    expect((await failureOf(rpc.users.createUser({ tenant, username, email: `${username}-2@grpc.example` }))).code).toBe(Code.AlreadyExists);
    const bad = await failureOf(rpc.users.createUser({ tenant, username: 'Not Valid', email: 'not-an-email' }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(violationsOf(bad)).toEqual(['email', 'username']);

    const developers = projectGroupPath(tenant, project, 'developer');
    const set = responseOf(await rpc.members.setMembers({ project, members: { developer: [username] } }), MembershipUpdateSchema);
    expect(set.keycloak?.added).toEqual([`${username} → developer`]);
    expect(set.harbor?.added.map((m) => [m.group, m.roleId])).toContainEqual([developers, HARBOR_ROLE_IDS.developer]);
    const view = await rpc.members.getMembers({ project });
    expect(view.keycloak?.developer).toEqual([username]);
    expect(view.harbor.map((m) => [m.name, m.type, m.roleId])).toContainEqual([developers, 'g', HARBOR_ROLE_IDS.developer]);
    expect(view.observedAt).toBeDefined();
    // The user's roles per project: REST's {"<project>": ["developer"]}.
    expect((await rpc.users.getUser({ tenant, username })).projects[project]?.roles).toEqual(['developer']);
    // Harbor holds what Keycloak says already: the sync changes nothing.
    const synced = responseOf(await rpc.members.syncMembers({ project }), MembershipChangesSchema);
    expect([...synced.added, ...synced.updated, ...synced.removed]).toEqual([]);
    // limited_guest is REST's "limited-guest"; an unknown user changes nothing.
    // No `members` at all is REST's missing field, not "nobody": the developer stays.
    const unset = await failureOf(rpc.members.setMembers({ project }));
    expect(unset.code).toBe(Code.InvalidArgument);
    expect(violationsOf(unset)).toEqual(['members']);
    expect((await rpc.members.getMembers({ project })).keycloak?.developer).toEqual([username]);
    const unknown = await failureOf(rpc.members.setMembers({ project, members: { limitedGuest: ['nobody-such'] } }));
    expect(unknown.code).toBe(Code.InvalidArgument);
    expect(unknown.rawMessage).toContain('nobody-such');

    const removed = responseOf(await rpc.users.deleteUser({ tenant, username }), UserRemovalSchema);
    expect(removed).toMatchObject({ username, accountDeleted: true });
    expect(removed.removedFrom).toEqual(expect.arrayContaining([`/tenants/${tenant}/developer`, developers]));
    expect((await failureOf(rpc.users.getUser({ tenant, username }))).code).toBe(Code.NotFound);
  }, 120_000);

  it('records checkpoints of a model version: created, read, listed, changed and archived', async () => {
    const version = { project, model: 'llama', tag: '1.0.0' };
    const made = responseOf(await rpc.checkpoints.createCheckpoint({ ...version, name: 'epoch-1', uri: 's3://ckpt/llama/epoch-1', framework: 'pytorch', step: 1000n, epoch: 1, metrics: { loss: 0.25 } }), CheckpointSchema);
    expect(made).toMatchObject({ name: 'epoch-1', tag: '1.0.0', uri: 's3://ckpt/llama/epoch-1', framework: 'pytorch', step: 1000n, epoch: 1, metrics: { loss: 0.25 } });
    expect(made.format).toBeUndefined();
    expect((await rpc.checkpoints.getCheckpoint({ ...version, checkpoint: 'epoch-1' })).id).toBe(made.id);
    // The same row REST reads.
    expect((await readJson(await stack.app.request(`/api/v1/models/${project}/llama/versions/1.0.0/checkpoints/epoch-1`))).id).toBe(made.id);
    const page = await rpc.checkpoints.listCheckpoints({ ...version, pageSize: 10 });
    expect(page.checkpoints.map((c) => c.name)).toEqual(['epoch-1']);
    expect(page.nextPageToken).toBe('');
    expect((await failureOf(rpc.checkpoints.createCheckpoint({ ...version, name: 'epoch-1', uri: 's3://ckpt/other' }))).code).toBe(Code.AlreadyExists);
    const bad = await failureOf(rpc.checkpoints.createCheckpoint({ ...version, name: 'bad name', uri: 'ftp://x', step: -1n }));
    expect(bad.code).toBe(Code.InvalidArgument);
    expect(violationsOf(bad)).toEqual(['name', 'step', 'uri']);

    // Fields change when set; `metrics` in update_mask while empty: none.
    const changed = responseOf(await rpc.checkpoints.updateCheckpoint({ ...version, checkpoint: 'epoch-1', description: 'best so far', updateMask: { paths: ['metrics'] } }), CheckpointSchema);
    expect(changed).toMatchObject({ description: 'best so far', framework: 'pytorch', step: 1000n, metrics: {} });
    expect((await failureOf(rpc.checkpoints.updateCheckpoint({ ...version, checkpoint: 'epoch-1' }))).code).toBe(Code.InvalidArgument);
    expect(responseOf(await rpc.checkpoints.deleteCheckpoint({ ...version, checkpoint: 'epoch-1' }), CheckpointSchema).name).toBe('epoch-1');
    expect((await failureOf(rpc.checkpoints.getCheckpoint({ ...version, checkpoint: 'epoch-1' }))).code).toBe(Code.NotFound);
    expect((await failureOf(rpc.checkpoints.listCheckpoints({ ...version, tag: '9.9.9' }))).code).toBe(Code.NotFound);
  }, 120_000);

  it('maps a missing resource to NOT_FOUND and a paged list to AIP-158 tokens', async () => {
    expect((await failureOf(rpc.projects.getProject({ name: uniqueName('nope') }))).code).toBe(Code.NotFound);
    expect((await failureOf(rpc.models.getModel({ project, model: 'nope' }))).code).toBe(Code.NotFound);
    expect((await failureOf(rpc.operations.getOperation({ id: 'bm9uZQ' }))).code).toBe(Code.NotFound);
    await rpc.tenants.createTenant({ name: uniqueName('grpc-second'), companyName: 'Beta', url: 'https://beta.example' });
    const first = await rpc.tenants.listTenants({ pageSize: 1 });
    expect(first.tenants).toHaveLength(1);
    expect(first.nextPageToken).not.toBe('');
    const second = await rpc.tenants.listTenants({ pageSize: 1, pageToken: first.nextPageToken });
    expect(second.tenants[0]?.name).not.toBe(first.tenants[0]?.name);
  });

  it('watches an onboarding to its end', async () => {
    // A server that does not wait: the RPC answers the running operation, WatchOperation follows it.
    const server = await stack.grpcWith({ mutationWaitMs: 0 });
    const name = uniqueName('grpc-watch');
    const quick = grpcClients({ ...stack, grpcAddress: server.address });
    const started = await quick.projects.onboardProject({ name, displayName: name, tenantId: tenant });
    expect(started.done).toBe(false);
    expect(started.metadata?.status).toBe('running');
    const seen: Operation[] = [];
    for await (const op of rpc.operations.watchOperation({ id: started.id })) seen.push(op);
    expect(seen.length).toBeGreaterThan(0);
    const last = seen.at(-1)!;
    expect(last.done).toBe(true);
    expect(last.metadata?.status).toBe('completed');
    expect(last.result.case).toBe('response');
    expect(seen.slice(0, -1).every((op) => !op.done)).toBe(true);
    expect((await rpc.operations.getOperation({ id: started.id })).done).toBe(true);
    await server.close();
  }, 60_000);

  it("replicates the project to a remote registry and synchronizes a pull rule: rules, runs and executions; a rule in use keeps its remote registry", async () => {
    const dr = await startOciRegistry();
    try {
      const remote = uniqueName('grpc-dr');
      responseOf(await rpc.registries.createRegistry({ tenant, name: remote, type: 'docker-registry', url: dr.url }), RemoteRegistrySchema);
      // REST's body `registry` (the remote registry) is the request's remote_registry, and so named in violations.
      const bad = await failureOf(rpc.replications.createReplicationRule({ project, name: 'Bad Name', direction: 'sideways' }));
      expect(bad.code).toBe(Code.InvalidArgument);
      expect(violationsOf(bad)).toEqual(['direction', 'name', 'remote_registry']);
      expect(violationsOf(await failureOf(rpc.replications.createReplicationRule({ project, name: 'to-nowhere', direction: 'push', remoteRegistry: uniqueName('ghost') })))).toEqual(['remote_registry']);

      const rule = responseOf(await rpc.replications.createReplicationRule({ project, name: 'to-dr', direction: 'push', remoteRegistry: remote, filters: { name: 'llama' }, description: 'disaster recovery' }), ReplicationRuleSchema);
      expect(rule).toMatchObject({ name: 'to-dr', project, registry: stack.registry, direction: 'push', remoteRegistry: remote, remoteNamespace: project, trigger: 'manual', bandwidthKbps: -1, enabled: true, filters: { name: 'llama' } });
      expect((await rpc.replications.getReplicationRule({ project, rule: 'to-dr' })).id).toBe(rule.id);
      expect((await rpc.replications.listReplicationRules({ project })).rules.map((r) => r.name)).toEqual(['to-dr']);
      const changed = responseOf(await rpc.replications.updateReplicationRule({ project, rule: 'to-dr', bandwidthKbps: 1024 }), ReplicationRuleSchema);
      expect(changed).toMatchObject({ bandwidthKbps: 1024, description: 'disaster recovery', remoteNamespace: project });

      // Run now: Harbor (the emulator, copying for real) pushes llama:1.0.0 to the remote registry.
      const started = responseOf(await rpc.replications.runReplicationRule({ project, rule: 'to-dr' }), ReplicationExecutionSchema);
      expect(started).toMatchObject({ ruleId: rule.id, purpose: 'rule', registry: stack.registry });
      const done = await eventually('the execution final', async () => {
        const one = await rpc.replications.getReplicationExecution({ project, rule: 'to-dr', id: started.id });
        return one.status !== 'InProgress' && one;
      });
      expect(done).toMatchObject({ status: 'Succeed', counts: { total: 1, succeed: 1 } });
      expect(await servedDigest(dr.url, `${project}/llama`, '1.0.0')).toMatch(/^sha256:/);
      expect((await rpc.replications.listReplicationExecutions({ project, rule: 'to-dr' })).executions.map((e) => e.id)).toEqual([started.id]);
      expect(violationsOf(await failureOf(rpc.replications.getReplicationExecution({ project, rule: 'to-dr', id: 'not-a-uuid' })))).toEqual(['id']);
      // A push rule does not synchronize: REST's 409, a precondition over gRPC (not "it exists").
      const notPull = await failureOf(rpc.replications.syncReplicationRule({ project, rule: 'to-dr' }));
      expect(notPull.code).toBe(Code.FailedPrecondition);
      expect(notPull.rawMessage).toContain('only a pull rule synchronizes');

      // A pull rule synchronizes what only the remote registry has.
      const newer = await pushModel(dr.url, `${project}/llama`, '2.0.0');
      responseOf(await rpc.replications.createReplicationRule({ project, name: 'from-dr', direction: 'pull', remoteRegistry: remote, filters: { name: 'llama' } }), ReplicationRuleSchema);
      await pauseRuleSyncSchedule(stack, project, 'from-dr');
      const synced = responseOf(await rpc.replications.syncReplicationRule({ project, rule: 'from-dr' }), SyncResultSchema);
      expect(synced).toMatchObject({ rule: 'from-dr', project, remoteRegistry: remote, pulled: [{ model: 'llama', tag: '2.0.0', digest: newer.digest }], conflicts: [] });

      // A remote registry rules use is kept unless forced: REST's 409, a precondition.
      const inUse = await failureOf(rpc.registries.deleteRegistry({ name: remote }));
      expect(inUse.code).toBe(Code.FailedPrecondition);
      expect(inUse.rawMessage).toContain(`${project}/from-dr`);
      for (const name of ['to-dr', 'from-dr']) expect(responseOf(await rpc.replications.deleteReplicationRule({ project, rule: name }), ReplicationRuleSchema).name).toBe(name);
      expect((await failureOf(rpc.replications.getReplicationRule({ project, rule: 'to-dr' }))).code).toBe(Code.NotFound);
      expect(responseOf(await rpc.registries.deleteRegistry({ name: remote }), RemoteRegistrySchema).name).toBe(remote);
    } finally {
      await dr.stop();
    }
  }, 180_000);

  it("approves and promotes a version to a remote registry, which then lists it; a version failing its gates is refused", async () => {
    const auth = { username: 'promoter', password: `s3cr3t-${uniqueName('pw')}` };
    const prod = await startOciRegistry({ auth });
    try {
      const remote = uniqueName('grpc-prod');
      responseOf(await rpc.registries.createRegistry({ tenant, name: remote, type: 'docker-registry', url: prod.url, credential: { accessKey: auth.username, accessSecret: auth.password } }), RemoteRegistrySchema);
      const v = await pushVersion(stack, project, 'bert', { passing: true, signed: true });
      // Approving is models.approve, never by the version's pusher: a maintainer of the tenant.
      const maintainer = grpcClients(stack, await stack.auth.token({ username: 'mia', tenant, role: 'maintainer' }));
      const approved = responseOf(await maintainer.promotions.approveVersion({ project, model: 'bert', tag: v.tag }), ApprovalSchema);
      expect(approved).toMatchObject({ approved: true, digest: v.digest, approvedBy: 'mia' });
      expect(approved.approvedAt).toBeDefined();

      const bad = await failureOf(rpc.promotions.promoteVersion({ project, model: 'bert', tag: v.tag, namespace: 'Not Valid' }));
      expect(violationsOf(bad)).toEqual(['namespace', 'remote_registry']);
      const promoted = responseOf(await rpc.promotions.promoteVersion({ project, model: 'bert', tag: v.tag, remoteRegistry: remote, namespace: 'released' }), PromotionSchema);
      expect(promoted).toMatchObject({ registry: stack.registry, project, model: 'bert', tag: v.tag, remote, remoteRepository: 'released/bert', digest: v.digest, copied: true, status: 'present' });
      expect(await servedDigest(prod.url, 'released/bert', v.tag, auth)).toBe(v.digest);

      // The remote registry's versions, without its credential.
      const listed = await rpc.registries.listRegistryModels({ name: remote });
      expect(listed.versions).toEqual([expect.objectContaining({ project, model: 'bert', tag: v.tag, digest: v.digest, status: 'present', remoteRepository: 'released/bert' })]);
      expect(toJsonString(ListRegistryModelsResponseSchema, listed)).not.toContain(auth.password);
      expect(violationsOf(await failureOf(rpc.registries.listRegistryModels({ name: remote, pageSize: 501 })))).toEqual(['page_size']);

      expect(responseOf(await maintainer.promotions.withdrawVersionApproval({ project, model: 'bert', tag: v.tag }), ApprovalSchema)).toMatchObject({ approved: false, digest: v.digest });
      // Failed gates refuse a promotion at once: REST's 409, a precondition.
      const failing = await pushVersion(stack, project, 'bert', { passing: false, signed: true });
      const refused = await failureOf(rpc.promotions.promoteVersion({ project, model: 'bert', tag: failing.tag, remoteRegistry: remote }));
      expect(refused.code).toBe(Code.FailedPrecondition);
      expect(refused.rawMessage).toContain('promotion gates');
    } finally {
      await prod.stop();
    }
  }, 180_000);

  it("reclaims storage: Harbor's GC dry run started as its operation, watched to its end and read by id, platform administrators only", async () => {
    const op = await rpc.storage.startGarbageCollection({ dryRun: true });
    expect(op.id).not.toBe('');
    const seen: Operation[] = [];
    for await (const o of rpc.operations.watchOperation({ id: op.id })) seen.push(o);
    expect(seen.at(-1)).toMatchObject({ done: true, metadata: { status: 'completed' } });
    const gc = await rpc.storage.getGarbageCollection({ id: op.id });
    expect(gc).toMatchObject({ id: op.id, registry: stack.registry, state: 'completed', stage: 'done', dryRun: { dryRun: true, status: 'Success', finished: true } });
    expect(gc.run).toBeUndefined();
    // The same as REST reads.
    expect(await readJson(await stack.app.request(`/api/v1/cleanup/gc/${op.id}`))).toMatchObject({ id: op.id, state: 'completed', dryRun: { gcId: Number(gc.dryRun?.gcId) } });

    const tenantAdmin = grpcClients(stack, await stack.auth.token({ username: 'ada', tenant, role: 'admin' }));
    const denied = await failureOf(tenantAdmin.storage.startGarbageCollection({ dryRun: true }));
    expect(denied.code).toBe(Code.PermissionDenied);
    expect(violationsOf(await failureOf(rpc.storage.startGarbageCollection({ registry: 'nowhere.example' })))).toEqual(['registry']);
    expect((await failureOf(rpc.storage.getGarbageCollection({ id: 'bm9uZQ' }))).code).toBe(Code.NotFound);
  }, 120_000);
});
