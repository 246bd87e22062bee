import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Action } from '../../api/auth/actions';
import { ROUTE_POLICIES, type RoutePolicy } from '../../api/auth/route-policies';
import { encodeOperationId } from '../../api/operations';
import { bearer, forgedToken, withToken } from '../support/auth';
import { jsonRequest, readJson } from '../support/http';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/**
 * The auth matrix, generated from ROUTE_POLICIES: every route × bad tokens, and every route × role ×
 * {own tenant, other tenant}. The expectations come from ROLE_ACTIONS below, written down
 * independently of policy/pbac.yaml, so a change to either that breaks access shows here.
 */
const ROLE_ACTIONS: Record<string, Action[]> = {
  admin: ['projects.read', 'projects.write', 'models.read', 'models.write', 'models.approve', 'checkpoints.read', 'checkpoints.write', 'registries.read', 'registries.write', 'cleanup.read', 'cleanup.admin', 'audit.read', 'membership.admin'],
  maintainer: ['projects.read', 'models.read', 'models.write', 'models.approve', 'checkpoints.read', 'checkpoints.write', 'registries.read', 'cleanup.read', 'cleanup.admin', 'audit.read'],
  developer: ['projects.read', 'models.read', 'models.write', 'checkpoints.read', 'checkpoints.write', 'registries.read'],
  guest: ['projects.read', 'models.read', 'checkpoints.read'],
  // The tenant's project is public in this test, so limited guests read it.
  'limited-guest': ['projects.read', 'models.read'],
  none: [],
};

const routes = Object.entries(ROUTE_POLICIES).filter((e): e is [string, RoutePolicy] => e[1] !== 'public');

describe('auth matrix', () => {
  let stack: TestStack;
  const t = { own: uniqueName('acme'), other: uniqueName('beta') };
  const p = { own: uniqueName('proj-a'), other: uniqueName('proj-b') };
  const r = { own: uniqueName('remote-a'), other: uniqueName('remote-b') };
  const u = { own: uniqueName('upstream-a'), other: uniqueName('upstream-b') };
  const v = { own: uniqueName('virtual-a'), other: uniqueName('virtual-b') };
  const op: { own?: string; other?: string } = {};
  // Mutations the matrix allows go to a task queue nobody polls: they are accepted (202), never run.
  let app: ReturnType<TestStack['appWith']>;

  beforeAll(async () => {
    stack = await startTestStack();
    app = stack.appWith({ mutationWaitMs: 0, taskQueue: uniqueName('nobody') });
    for (const side of ['own', 'other'] as const) {
      await createTenant(stack, { name: t[side] });
      await onboardProject(stack, t[side], { name: p[side], display_name: side, public: true });
      const run = await stack.client.workflow.getHandle(`project:${stack.registry}/${p[side]}`).describe();
      op[side] = encodeOperationId(run.workflowId, run.runId);
      const remote = await stack.app.request('/api/v1/registries', jsonRequest({ name: r[side], tenant: t[side], type: 'docker-registry', url: stack.harbor.registryUrl }));
      expect(remote.status, await remote.clone().text()).toBe(201);
      const rule = await stack.app.request(`/api/v1/projects/${p[side]}/replications`, jsonRequest({ name: 'rule', direction: 'push', registry: r[side] }));
      expect(rule.status, await rule.clone().text()).toBe(201);
      const upstream = await stack.app.request(`/api/v1/tenants/${t[side]}/upstreams`, jsonRequest({ name: u[side], url: stack.harbor.registryUrl }));
      expect(upstream.status, await upstream.clone().text()).toBe(201);
      const virtual = await stack.app.request(`/api/v1/tenants/${t[side]}/virtual-registries`, jsonRequest({ name: v[side] }));
      expect(virtual.status, await virtual.clone().text()).toBe(201);
    }
  }, 120_000);
  afterAll(() => stack?.close());

  const pathFor = (key: string, side: 'own' | 'other') =>
    key
      .split(' ')[1]!
      .replace('{name}', key.includes('/tenants/') ? t[side] : key.includes('/registries/') ? r[side] : p[side])
      .replace('{tenant}', t[side])
      .replace('{username}', 'some-user')
      .replace('{project}', p[side])
      .replace('{model}', 'some-model')
      .replace('{tag}', '1.0.0')
      .replace('{rule}', 'rule')
      .replace('{upstream}', u[side])
      .replace('{virtualRegistry}', v[side])
      .replace('{pullToken}', 'some-token')
      .replace('{id}', key.includes('/cleanup/runs/') ? '00000000-0000-4000-8000-000000000000' : op[side]!)
      .replace(/\/models\/resolve$/, `/models/resolve?name=${p[side]}/some-model:1.0.0`);
  const bodyFor = (key: string, side: 'own' | 'other') =>
    key.startsWith('GET') || key.startsWith('HEAD') || key.startsWith('DELETE')
      ? undefined
      : key.endsWith('/users')
        ? JSON.stringify({ username: uniqueName('x'), email: 'x@example.com' })
        : key.endsWith(' /api/v1/registries')
          ? JSON.stringify({ name: uniqueName('x'), tenant: t[side], type: 'docker-registry', url: 'http://127.0.0.1:1' })
          : key.endsWith('/replications')
            ? JSON.stringify({ name: 'other-rule', direction: 'push', registry: r[side] })
            : key.endsWith('/replications/{rule}') || key.endsWith('/upstreams/{upstream}') || key.endsWith('/virtual-registries/{virtualRegistry}')
              ? JSON.stringify({ description: 'changed' })
              : key.endsWith('/{tenant}/upstreams')
                ? JSON.stringify({ name: uniqueName('x'), url: 'http://127.0.0.1:1' })
                : key.endsWith('/{tenant}/virtual-registries') || key.endsWith('/{tenant}/pull-tokens')
                  ? JSON.stringify({ name: uniqueName('x') })
                  : key.endsWith('/{virtualRegistry}/upstreams')
                    ? JSON.stringify([{ upstream: u[side], position: 1 }])
                    : key.includes('/cleanup/')
                      ? JSON.stringify({}) // a default policy; a dry run
                      : JSON.stringify({ name: key.includes('tenants') ? t[side] : uniqueName('x'), tenantId: t[side] });
  const call = (key: string, side: 'own' | 'other', headers: Record<string, string>) =>
    app.request(pathFor(key, side), { method: key.split(' ')[0], headers: { 'content-type': 'application/json', ...headers }, body: bodyFor(key, side) });

  describe('tokens', () => {
    const variants: [string, () => Promise<Record<string, string>>][] = [
      ['no token', () => Promise.resolve({ authorization: '' })],
      ['not bearer', () => Promise.resolve({ authorization: 'Basic YWRtaW46YWRtaW4=' })],
      ['expired', async () => bearer(await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { ttlSeconds: -120 }))],
      ['not yet valid', async () => bearer(await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { notBeforeSeconds: 600 }))],
      ['wrong audience', async () => bearer(await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { audience: 'account' }))],
      ['wrong issuer', async () => bearer(await stack.auth.issuer.sign({ sub: 'x', realm_access: { roles: ['platform-admin'] } }, { issuer: 'https://evil.example' }))],
      ['bad signature', async () => bearer(await forgedToken(stack.auth.issuer))],
      ['alg none', () => Promise.resolve(bearer(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'x', realm_access: { roles: ['platform-admin'] } })).toString('base64url')}.`))],
    ];
    it.each(variants)('%s → 401 problem with a Bearer challenge on every protected route', async (label, headers) => {
      const h = await headers();
      for (const [key] of routes) {
        const res = await call(key, 'own', h);
        expect(res.status, `${label}: ${key}`).toBe(401);
        expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
        const challenge = res.headers.get('www-authenticate') ?? '';
        expect(challenge).toMatch(/^Bearer realm="model-registry"/);
        if (label !== 'no token') expect(challenge).toContain('error="invalid_token"');
        expect(JSON.stringify(await readJson(res))).not.toMatch(/at .*\.ts:\d+/);
        // Hono answers a HEAD with the GET route: it is refused as that GET is.
        if (key.startsWith('GET ')) expect((await call(key.replace('GET', 'HEAD'), 'own', h)).status, `${label}: HEAD of ${key}`).toBe(401);
      }
    });

    it('keeps the webhook receiver and health and docs open', async () => {
      expect((await app.raw.request('/healthz')).status).toBe(200);
      expect((await app.raw.request('/openapi.json')).status).toBe(200);
      const hook = await app.raw.request('/api/v1/webhooks/harbor', jsonRequest({ type: 'PUSH_ARTIFACT' }));
      // Refused by the receiver's own check of the project's webhook secret, not by the JWT middleware.
      expect(hook.status).toBe(401);
      expect(hook.headers.get('www-authenticate')).toBe('Bearer realm="harbor-webhooks"');
    });

    it('accepts a token expired within the clock skew and keys rotated by the issuer', async () => {
      const admin = { sub: 'x', realm_access: { roles: ['platform-admin'] } };
      expect((await app.request(`/api/v1/tenants/${t.own}`, { headers: bearer(await stack.auth.issuer.sign(admin, { ttlSeconds: -10 })) })).status).toBe(200);
      await stack.auth.issuer.rotate();
      expect((await app.request(`/api/v1/tenants/${t.own}`, { headers: bearer(await stack.auth.issuer.sign(admin)) })).status).toBe(200);
    });
  });

  describe.each(Object.keys(ROLE_ACTIONS))('role %s', (role) => {
    it('gets what its actions allow in its own tenant and nothing of the other tenant', async () => {
      const token = await stack.auth.token(role === 'none' ? { username: `u-${role}` } : { username: `u-${role}`, tenant: t.own, role });
      const allowed = new Set(ROLE_ACTIONS[role]);
      for (const [key, policy] of routes) {
        for (const side of ['own', 'other'] as const) {
          const res = await call(key, side, bearer(token));
          const body = await readJson(res);
          const where = `${role} ${side}: ${key} → ${res.status} ${body?.title ?? ''}`;
          expect(res.status, where).not.toBe(401);
          if (policy.resource.kind === 'list') {
            expect(res.status, where).toBe(200);
            const names = JSON.stringify(body.items);
            expect(names, where).not.toContain(t.other);
            expect(names, where).not.toContain(p.other);
            expect(names, where).not.toContain(r.other);
            continue;
          }
          const granted = side === 'own' && allowed.has(policy.action);
          if (policy.resource.kind === 'platform') {
            // No tenant's role reaches the platform's resources (storage reclaim): platform administrators only.
            expect(res.status, where).toBe(403);
            expect(body.action, where).toBe(policy.action);
          } else if (granted) {
            expect([401, 403], where).not.toContain(res.status);
            expect(['Tenant not found', 'Project not found', 'Remote registry not found', 'Upstream not found', 'Virtual registry not found', 'Operation not found'], where).not.toContain(body?.title);
          } else if ((policy.resource.kind === 'tenant-body' && policy.resource.creates) || (side === 'own' && allowed.has('projects.read'))) {
            expect(res.status, where).toBe(403);
            expect(body.action, where).toBe(policy.action);
          } else {
            // Not even readable: the same 404 as for something that does not exist.
            expect(res.status, where).toBe(404);
          }
          // A HEAD tells no more than its GET: refused alike (a granted one would wait on the unpolled queue again).
          if (key.startsWith('GET ') && [403, 404].includes(res.status)) expect((await call(key.replace('GET', 'HEAD'), side, bearer(token))).status, `HEAD: ${where}`).toBe(res.status);
        }
      }
      // An admin's three read workflows (members, users, a user) each wait out their 30 s on the unpolled queue.
    }, 240_000);
  });

  it("answers a name the route refuses with the route's 400 whoever asks, before the authorization's 404", async () => {
    const outsider = withToken(stack.app.raw, await stack.auth.token({ username: 'nobody-here' }));
    const long = 'a'.repeat(300);
    for (const [path, field] of [[`/api/v1/tenants/a%01b`, 'param.name'], [`/api/v1/tenants/${long}`, 'param.name'], [`/api/v1/tenants/${long}/users`, 'param.tenant'], [`/api/v1/projects/${long}`, 'param.name'], [`/api/v1/registries/${long}`, 'param.name']] as const) {
      for (const client of [outsider, app]) {
        const res = await client.request(path);
        expect(res.status, path).toBe(400);
        expect((await readJson(res)).errors.map((e: { field: string }) => e.field), path).toEqual([field]);
      }
    }
  });

  it('lists only the caller\'s tenants, projects and remote registries', async () => {
    const token = await stack.auth.token({ username: 'beta-dev', tenant: t.other, role: 'developer' });
    const scoped = withToken(stack.app.raw, token);
    const tenants = await readJson(await scoped.request('/api/v1/tenants?limit=200'));
    expect(tenants.items.map((x: { name: string }) => x.name)).toEqual([t.other]);
    const projects = await readJson(await scoped.request('/api/v1/projects?limit=200'));
    expect(projects.items.map((x: { name: string }) => x.name)).toEqual([p.other]);
    const filtered = await readJson(await scoped.request(`/api/v1/projects?tenantId=${t.own}`));
    expect(filtered.items).toEqual([]);
    const remotes = await readJson(await scoped.request('/api/v1/registries?limit=200'));
    expect(remotes.items.filter((x: { tenant: string | null }) => x.tenant !== null).map((x: { name: string }) => x.name)).toEqual([r.other]);
  });
});
