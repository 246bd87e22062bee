import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import { SERVICE_NAME, type Action, type Resource } from '../../api/auth/actions';
import { createEmbeddedPdp, globMatch, loadPolicy, type DecisionInput } from '../../api/auth/pdp';
import { principalFromClaims } from '../../api/auth/principal';
import { createRemotePdp } from '../../api/auth/remote-pdp';
import { logger } from '../../composition/logger';

const subject = (roles: string[], tenantRoles: Record<string, string[]> = {}): DecisionInput['subject'] => ({ subject: 's', username: 'u', roles, tenantRoles, groups: [] });
const ask = (s: DecisionInput['subject'], action: Action, resource: Omit<Resource, 'service'> = {}): DecisionInput => ({ subject: s, action, resource: { service: SERVICE_NAME, ...resource } });

describe('principal from Keycloak claims', () => {
  it('takes realm roles, this audience\'s client roles and tenant roles from /tenants/<tenant>/<role> groups', () => {
    const p = principalFromClaims(
      {
        sub: 'id-1',
        preferred_username: 'alice',
        realm_access: { roles: ['offline_access', 'platform-admin'] },
        resource_access: { 'model-registry': { roles: ['auditor'] }, other: { roles: ['admin'] } },
        groups: ['/tenants/acme/developer', 'tenants/beta/guest', '/tenants/acme/projects/p1/admin', '/ml-team'],
      },
      'model-registry',
    );
    expect(p).toMatchObject({ subject: 'id-1', username: 'alice', tenantRoles: { acme: ['developer'], beta: ['guest'] } });
    expect(p.roles.sort()).toEqual(['auditor', 'offline_access', 'platform-admin']);
  });
});

describe('embedded PDP (policy/pbac.yaml)', () => {
  const pdp = createEmbeddedPdp();

  it('grants tenant roles in their tenant only', async () => {
    const dev = subject([], { acme: ['developer'] });
    expect(await pdp.decide(ask(dev, 'models.write', { tenant: 'acme', model: 'm' }))).toBe(true);
    expect(await pdp.decide(ask(dev, 'models.write', { tenant: 'beta', model: 'm' }))).toBe(false);
    expect(await pdp.decide(ask(dev, 'membership.admin', { tenant: 'acme' }))).toBe(false);
    expect(await pdp.decide(ask(dev, 'models.read', {}))).toBe(false);
  });

  it('lets maintainers, tenant and platform admins approve versions, not developers', async () => {
    const approve = (s: ReturnType<typeof subject>) => pdp.decide(ask(s, 'models.approve', { tenant: 'acme', model: 'm', version: '1.0.0' }));
    expect(await approve(subject([], { acme: ['developer'] }))).toBe(false);
    expect(await approve(subject([], { acme: ['guest'] }))).toBe(false);
    expect(await approve(subject([], { acme: ['maintainer'] }))).toBe(true);
    expect(await approve(subject([], { acme: ['admin'] }))).toBe(true);
    expect(await approve(subject([], { beta: ['admin'] }))).toBe(false);
    expect(await approve(subject(['platform-admin']))).toBe(true);
  });

  it('grants realm roles everywhere', async () => {
    expect(await pdp.decide(ask(subject(['platform-admin']), 'cleanup.admin', { tenant: 'any' }))).toBe(true);
    expect(await pdp.decide(ask(subject(['platform-admin']), 'projects.write', {}))).toBe(true);
    expect(await pdp.decide(ask(subject(['offline_access']), 'projects.read', { tenant: 'acme' }))).toBe(false);
  });

  it('limits limited guests to public projects and evaluators to 0.x versions', async () => {
    const limited = subject([], { acme: ['limited-guest'] });
    expect(await pdp.decide(ask(limited, 'models.read', { tenant: 'acme', accessType: 'public' }))).toBe(true);
    expect(await pdp.decide(ask(limited, 'models.read', { tenant: 'acme', accessType: 'private' }))).toBe(false);
    const evaluator = subject([], { acme: ['evaluator'] });
    expect(await pdp.decide(ask(evaluator, 'models.read', { tenant: 'acme', model: 'llm', version: '0.3.1' }))).toBe(true);
    expect(await pdp.decide(ask(evaluator, 'models.read', { tenant: 'acme', model: 'llm', version: '1.0.0' }))).toBe(false);
    expect(await pdp.decide(ask(evaluator, 'models.write', { tenant: 'acme', model: 'llm', version: '0.3.1' }))).toBe(false);
  });

  it('matches wildcards as the seed writes them', () => {
    expect(globMatch('0.1.*', '0.1.2')).toBe(true);
    expect(globMatch('0.1.*', '0.10.2')).toBe(false);
    expect(globMatch('latest', 'latest')).toBe(true);
    expect(globMatch('image-*', 'image-2-image')).toBe(true);
    expect(globMatch('a.b', 'axb')).toBe(false);
  });

  it('refuses a policy file with an unknown action', () => {
    const file = join(tmpdir(), `pbac-${process.pid}.yaml`);
    writeFileSync(file, 'service: model-registry\nrules:\n  - roles: [x]\n    actions: [models.delete]\n');
    expect(() => loadPolicy(file)).toThrow(/invalid policy/);
  });
});

describe('remote PDP (OPA Data API shape)', () => {
  async function opa(answer: (input: DecisionInput) => unknown, status = 200) {
    const calls: DecisionInput[] = [];
    const app = new Hono().post('/v1/data/modelregistry/allow', async (c) => {
      const { input } = (await c.req.json()) as { input: DecisionInput };
      calls.push(input);
      return c.json(answer(input) as object, status as 200);
    });
    const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls, close: () => server.close() };
  }
  const quiet = logger.child({}, { level: 'silent' });

  it('posts {input} to /v1/data/<path>, reads result or result.allow, and caches decisions briefly', async () => {
    const server = await opa((input) => ({ result: input.action === 'models.read' ? true : { allow: input.action === 'models.write' } }));
    const pdp = createRemotePdp({ url: server.url, path: 'modelregistry/allow', timeoutMs: 1000, cacheTtlMs: 60_000, logger: quiet });
    const dev = subject([], { acme: ['developer'] });
    expect(await pdp.decide(ask(dev, 'models.read', { tenant: 'acme' }))).toBe(true);
    expect(await pdp.decide(ask(dev, 'models.read', { tenant: 'acme' }))).toBe(true);
    expect(await pdp.decide(ask(dev, 'models.write', { tenant: 'acme' }))).toBe(true);
    expect(await pdp.decide(ask(dev, 'audit.read', { tenant: 'acme' }))).toBe(false);
    expect(server.calls).toHaveLength(3);
    expect(server.calls[0]).toMatchObject({ action: 'models.read', resource: { service: 'model-registry', tenant: 'acme' }, subject: { tenantRoles: { acme: ['developer'] } } });
    server.close();
  });

  it('denies when the PDP fails, answers nonsense or is not there (fail closed), and does not cache the failure', async () => {
    const failing = await opa(() => ({ error: 'boom' }), 500);
    const pdp = createRemotePdp({ url: failing.url, path: 'modelregistry/allow', timeoutMs: 1000, cacheTtlMs: 60_000, logger: quiet });
    const admin = subject(['platform-admin']);
    expect(await pdp.decide(ask(admin, 'models.read', { tenant: 'acme' }))).toBe(false);
    expect(await pdp.decide(ask(admin, 'models.read', { tenant: 'acme' }))).toBe(false);
    expect(failing.calls).toHaveLength(2);
    failing.close();
    const odd = await opa(() => ({ result: 'yes' }));
    expect(await createRemotePdp({ url: odd.url, path: 'modelregistry/allow', timeoutMs: 1000, cacheTtlMs: 0, logger: quiet }).decide(ask(admin, 'models.read'))).toBe(false);
    odd.close();
    expect(await createRemotePdp({ url: 'http://127.0.0.1:1', path: 'x', timeoutMs: 500, cacheTtlMs: 0, logger: quiet }).decide(ask(admin, 'models.read'))).toBe(false);
  });
});
