import { create, type DescMethod, type DescService } from '@bufbuild/protobuf';
import { Code, ConnectError, createClient } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../api/auth/actions';
import { RPC_POLICIES } from '../../api/auth/rpc-policies';
import type { RoutePolicy } from '../../api/auth/route-policies';
import { API_SERVICES, STANDARD_SERVICES, undeclaredRpcs } from '../../api/grpc/server';
import { encodeOperationId } from '../../api/operations';
import { createTenant, onboardProject } from '../support/fixtures';
import { forgedToken } from '../support/auth';
import { grpcClients } from '../support/grpc';
import { jsonRequest } from '../support/http';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** The same expectations as test/auth/matrix.test.ts: written down apart from policy/pbac.yaml. */
const ROLE_ACTIONS: Record<string, Action[]> = {
  admin: ['projects.read', 'projects.write', 'models.read', 'models.write', 'models.approve', 'checkpoints.read', 'checkpoints.write', 'registries.read', 'registries.write', 'cleanup.read', 'cleanup.admin', 'audit.read', 'membership.admin'],
  maintainer: ['projects.read', 'models.read', 'models.write', 'models.approve', 'checkpoints.read', 'checkpoints.write', 'registries.read', 'cleanup.read', 'cleanup.admin', 'audit.read'],
  developer: ['projects.read', 'models.read', 'models.write', 'checkpoints.read', 'checkpoints.write', 'registries.read'],
  guest: ['projects.read', 'models.read', 'checkpoints.read'],
  'limited-guest': ['projects.read', 'models.read'],
  none: [],
};

const HIDDEN = ['Tenant not found', 'Project not found', 'Operation not found'];

const rpcs = API_SERVICES.flatMap((service) => service.methods.map((method) => ({ service, method, key: `/${service.typeName}/${method.name}` })));
const guarded = rpcs.map((r) => ({ ...r, policy: RPC_POLICIES[r.key] })).filter((r): r is typeof r & { policy: RoutePolicy } => r.policy !== undefined && r.policy !== 'public');

describe('gRPC RPC policies', () => {
  it('declare an action for every served RPC and name no RPC that is not served', () => {
    expect(undeclaredRpcs([...API_SERVICES, ...STANDARD_SERVICES], RPC_POLICIES)).toEqual([]);
    expect(guarded).toHaveLength(rpcs.length); // every API RPC is guarded; only health and reflection are public
  });

  it('refuse a service with an RPC that declares no action', () => {
    const extra = { typeName: 'modelregistry.v1.NewService', methods: [{ name: 'DoThing' }] } as unknown as DescService;
    expect(undeclaredRpcs([...API_SERVICES, extra], RPC_POLICIES)).toContain('/modelregistry.v1.NewService/DoThing declares no PBAC action in api/auth/rpc-policies.ts');
  });
});

/** The auth matrix over every RPC: bad tokens, and every role × {own tenant, other tenant}, as REST's. */
describe('gRPC auth matrix', () => {
  let stack: TestStack;
  let server: { address: string; close(): Promise<void> };
  const t = { own: uniqueName('acme'), other: uniqueName('beta') };
  const p = { own: uniqueName('proj-a'), other: uniqueName('proj-b') };
  const r = { own: uniqueName('remote-a'), other: uniqueName('remote-b') };
  const op: { own?: string; other?: string } = {};

  beforeAll(async () => {
    stack = await startTestStack();
    // Mutations the matrix allows go to a task queue nobody polls: accepted (a running Operation), never run.
    server = await stack.grpcWith({ mutationWaitMs: 0, taskQueue: uniqueName('nobody') });
    for (const side of ['own', 'other'] as const) {
      await createTenant(stack, { name: t[side] });
      await onboardProject(stack, t[side], { name: p[side], display_name: side, public: true });
      const run = await stack.client.workflow.getHandle(`project:${stack.registry}/${p[side]}`).describe();
      op[side] = encodeOperationId(run.workflowId, run.runId);
      const remote = await stack.app.request('/api/v1/registries', jsonRequest({ name: r[side], tenant: t[side], type: 'docker-registry', url: stack.harbor.registryUrl }));
      expect(remote.status, await remote.clone().text()).toBe(201);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await stack?.close();
  });

  const requestFor = (method: DescMethod, side: 'own' | 'other') => {
    const service = method.parent.name;
    const fields: Record<string, unknown> = {
      name:
        method.name === 'ResolveModel'
          ? `${p[side]}/some-model:1.0.0`
          : service === 'TenantService'
            ? t[side]
            : ['OnboardProject', 'RegisterProject', 'CreateRegistry'].includes(method.name)
              ? uniqueName('x')
              : service === 'RegistryService'
                ? r[side]
                : p[side],
      type: 'docker-registry',
      companyName: 'x',
      url: 'https://x.example',
      displayName: 'x',
      tenantId: t[side],
      project: p[side],
      model: 'some-model',
      tag: '1.0.0',
      // OnboardProject's `robot` is a RobotRequest: left unset there.
      robot: service === 'RobotService' ? 'ci' : undefined,
      permissions: ['pull'],
      id: op[side],
      tenant: t[side],
      upstream: 'some-upstream',
      virtualRegistry: 'some-registry',
      pullToken: 'some-token',
      reference: '1.0.0',
      description: 'changed',
      username: method.name === 'CreateUser' ? uniqueName('x') : 'some-user',
      email: 'x@example.com',
      checkpoint: 'some-checkpoint',
      uri: 's3://bucket/checkpoint',
      rule: 'some-rule',
    };
    return create(method.input, Object.fromEntries(method.input.fields.filter((f) => fields[f.localName] !== undefined).map((f) => [f.localName, fields[f.localName]])));
  };

  /** The RPC's answer (a list's JSON text) or its error; a stream's messages until its end. */
  async function call(method: DescMethod, side: 'own' | 'other', authorization: string | undefined): Promise<{ error?: ConnectError; text?: string }> {
    const clients = grpcClients({ ...stack, grpcAddress: server.address }, '');
    const client = createClient(method.parent, clients.transport) as unknown as Record<string, (req: unknown, opts: unknown) => unknown>;
    const options = { headers: authorization === undefined ? { authorization: '' } : { authorization } };
    try {
      const answer = client[method.localName]!(requestFor(method, side), options);
      if (method.methodKind === 'server_streaming') {
        const all = [];
        for await (const message of answer as AsyncIterable<unknown>) all.push(message);
        return { text: JSON.stringify(all, (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) };
      }
      return { text: JSON.stringify(await (answer as Promise<unknown>), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v)) };
    } catch (err) {
      return { error: ConnectError.from(err) };
    }
  }

  describe('tokens', () => {
    const variants: [string, () => Promise<string | undefined>][] = [
      ['no token', () => Promise.resolve(undefined)],
      ['not bearer', () => Promise.resolve('Basic YWRtaW46YWRtaW4=')],
      ['expired', async () => `Bearer ${await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { ttlSeconds: -120 })}`],
      ['wrong audience', async () => `Bearer ${await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { audience: 'account' })}`],
      ['bad signature', async () => `Bearer ${await forgedToken(stack.auth.issuer)}`],
    ];
    it.each(variants)('%s → UNAUTHENTICATED on every RPC', async (label, authorization) => {
      const value = await authorization();
      for (const { method, key } of guarded) {
        const { error } = await call(method, 'own', value);
        expect(error?.code, `${label}: ${key} ${error?.rawMessage ?? 'answered'}`).toBe(Code.Unauthenticated);
        expect(error?.metadata.get('www-authenticate')).toMatch(/^Bearer realm="model-registry"/);
      }
    });
  });

  describe.each(Object.keys(ROLE_ACTIONS))('role %s', (role) => {
    it('gets what its actions allow in its own tenant and nothing of the other tenant', async () => {
      const token = await stack.auth.token(role === 'none' ? { username: `u-${role}` } : { username: `u-${role}`, tenant: t.own, role });
      const allowed = new Set(ROLE_ACTIONS[role]);
      for (const { method, key, policy } of guarded) {
        for (const side of ['own', 'other'] as const) {
          const { error, text } = await call(method, side, `Bearer ${token}`);
          const where = `${role} ${side}: ${key} → ${error ? `${Code[error.code]} ${error.rawMessage}` : 'OK'}`;
          expect(error?.code, where).not.toBe(Code.Unauthenticated);
          expect([Code.Unknown, Code.Internal], where).not.toContain(error?.code);
          if (policy.resource.kind === 'list') {
            expect(error, where).toBeUndefined();
            expect(text, where).not.toContain(t.other);
            expect(text, where).not.toContain(p.other);
            continue;
          }
          const granted = side === 'own' && allowed.has(policy.action);
          if (policy.resource.kind === 'platform') {
            // No tenant's role reaches the platform's resources (storage reclaim): platform administrators only.
            expect(error?.code, where).toBe(Code.PermissionDenied);
            expect(error?.rawMessage, where).toContain(`may not ${policy.action}`);
          } else if (granted) {
            expect(error?.code, where).not.toBe(Code.PermissionDenied);
            expect(HIDDEN.some((title) => error?.rawMessage.startsWith(title)), where).toBe(false);
          } else if ((policy.resource.kind === 'tenant-body' && policy.resource.creates) || (side === 'own' && allowed.has('projects.read'))) {
            expect(error?.code, where).toBe(Code.PermissionDenied);
            expect(error?.rawMessage, where).toContain(`may not ${policy.action}`);
          } else {
            // Not even readable: the same NOT_FOUND as for something that does not exist.
            expect(error?.code, where).toBe(Code.NotFound);
          }
        }
      }
      // An admin's two user reads (ListUsers, GetUser) each wait out their 30 s on the unpolled queue: UNAVAILABLE.
    }, 240_000);
  });
});
