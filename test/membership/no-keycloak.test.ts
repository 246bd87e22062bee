import { Code, ConnectError } from '@connectrpc/connect';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcClients } from '../support/grpc';
import { jsonRequest, readJson } from '../support/http';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/** The light stack (no KEYCLOAK_URL): membership and users routes answer 503 naming what is missing, never 500. */
describe('membership without Keycloak', () => {
  let stack: TestStack, tenant: string, project: string;
  beforeAll(async () => { ({ stack, tenant, project } = await startStackWithProject('nokc', { keycloak: false })); }, 120_000);
  afterAll(() => stack?.close());

  const routes = (): [string, RequestInit][] => [
    [`/api/v1/projects/${project}/members`, {}],
    [`/api/v1/projects/${project}/members`, jsonRequest({ members: { developer: ['carol'] } }, {}, 'PUT')],
    [`/api/v1/projects/${project}/members/sync`, { method: 'POST' }],
    [`/api/v1/tenants/${tenant}/users`, {}],
    [`/api/v1/tenants/${tenant}/users`, jsonRequest({ username: 'carol', email: 'carol@nokc.example' })],
    [`/api/v1/tenants/${tenant}/users/carol`, {}],
    [`/api/v1/tenants/${tenant}/users/carol`, { method: 'DELETE' }],
  ];

  it('answers 503 problem+json naming KEYCLOAK_URL on every membership and users route', async () => {
    for (const [path, init] of routes()) {
      const res = await stack.app.request(path, init);
      expect({ route: `${init.method ?? 'GET'} ${path}`, status: res.status }).toEqual({ route: `${init.method ?? 'GET'} ${path}`, status: 503 });
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect((await readJson(res)).detail).toContain('KEYCLOAK_URL');
    }
  });

  it('answers UNAVAILABLE naming KEYCLOAK_URL on every UserService and MemberService RPC', async () => {
    const rpc = grpcClients(stack);
    const calls: [string, () => Promise<unknown>][] = [
      ['GetMembers', () => rpc.members.getMembers({ project })],
      ['SetMembers', () => rpc.members.setMembers({ project, members: { developer: ['carol'] } })],
      ['SyncMembers', () => rpc.members.syncMembers({ project })],
      ['ListUsers', () => rpc.users.listUsers({ tenant })],
      ['CreateUser', () => rpc.users.createUser({ tenant, username: 'carol', email: 'carol@nokc.example' })],
      ['GetUser', () => rpc.users.getUser({ tenant, username: 'carol' })],
      ['DeleteUser', () => rpc.users.deleteUser({ tenant, username: 'carol' })],
    ];
    for (const [name, call] of calls) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => ConnectError.from(e),
      );
      expect({ rpc: name, code: error?.code }).toEqual({ rpc: name, code: Code.Unavailable });
      expect(error?.rawMessage).toContain('KEYCLOAK_URL');
    }
  });

  it('still checks the caller first: unknown project 404, a developer 403', async () => {
    expect((await stack.app.request('/api/v1/projects/no-such-project/members')).status).toBe(404);
    const dev = await stack.auth.token({ username: 'dev', tenant, role: 'developer' });
    expect((await stack.app.request(`/api/v1/projects/${project}/members`, { headers: { authorization: `Bearer ${dev}` } })).status).toBe(403);
  });
});
