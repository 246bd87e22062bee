import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, withToken } from '../support/auth';
import { jsonRequest, readJson } from '../support/http';
import { clientCredentialsToken, KEYCLOAK_CLIENTS, keycloakAuth, keycloakToken } from '../support/keycloak';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

/** Real tokens from a real Keycloak (test/keycloak/realm.json: tenants acme and beta) against the API. */
describe('the API with Keycloak tokens', () => {
  let stack: TestStack;
  let app: ReturnType<TestStack['appWith']>;
  const project = { acme: uniqueName('kc-acme'), beta: uniqueName('kc-beta') };

  beforeAll(async () => {
    stack = await startTestStack();
    app = stack.appWith({ auth: keycloakAuth() });
    const admin = withToken(app.raw, await keycloakToken('platform-admin'));
    for (const tenant of ['acme', 'beta'] as const) {
      expect([201, 409]).toContain((await admin.request('/api/v1/tenants', jsonRequest({ name: tenant, companyName: tenant, url: 'https://example.com' }))).status);
      expect((await admin.request('/api/v1/projects', jsonRequest({ name: project[tenant], display_name: tenant, tenantId: tenant }))).status).toBe(201);
    }
  }, 120_000);
  afterAll(() => stack?.close());

  it('lets a developer of acme read and refresh acme, and shows nothing of beta', async () => {
    const dev = withToken(app.raw, await keycloakToken('acme-dev'));
    expect((await dev.request(`/api/v1/projects/${project.acme}`)).status).toBe(200);
    expect((await dev.request(`/api/v1/projects/${project.acme}/refresh`, { method: 'POST' })).status).toBe(200);
    const hidden = await dev.request(`/api/v1/projects/${project.beta}`);
    expect(hidden.status).toBe(404);
    expect((await readJson(hidden)).detail).toBe(`no project "${project.beta}" in ${stack.registry}`);
    const projects = (await readJson(await dev.request('/api/v1/projects?limit=200'))).items.map((p: { tenantId: string }) => p.tenantId);
    expect(projects.length).toBeGreaterThan(0);
    expect(new Set(projects)).toEqual(new Set(['acme']));
    expect((await readJson(await dev.request('/api/v1/tenants'))).items.map((t: { name: string }) => t.name)).toEqual(['acme']);
  });

  it('answers 403 naming the action when the role does not allow it in the caller\'s own tenant', async () => {
    const guest = withToken(app.raw, await keycloakToken('acme-guest'));
    const res = await guest.request(`/api/v1/projects/${project.acme}/refresh`, { method: 'POST' });
    expect(res.status).toBe(403);
    expect(await readJson(res)).toMatchObject({ status: 403, action: 'models.write' });
    const dev = withToken(app.raw, await keycloakToken('beta-dev'));
    const create = await dev.request('/api/v1/projects', jsonRequest({ name: uniqueName('kc'), display_name: 'x', tenantId: 'beta' }));
    expect(create.status).toBe(403);
    expect((await readJson(create)).action).toBe('projects.write');
  });

  it('gives the realm role platform-admin every tenant', async () => {
    const admin = withToken(app.raw, await keycloakToken('platform-admin'));
    const tenants = (await readJson(await admin.request('/api/v1/tenants?limit=200'))).items.map((t: { name: string }) => t.name);
    expect(tenants).toEqual(expect.arrayContaining(['acme', 'beta']));
    expect((await admin.request(`/api/v1/projects/${project.beta}`)).status).toBe(200);
  });

  it('accepts a machine client\'s client-credentials token with its service account\'s groups', async () => {
    const token = await clientCredentialsToken(KEYCLOAK_CLIENTS.service.clientId, KEYCLOAK_CLIENTS.service.secret);
    expect((await app.request(`/api/v1/projects/${project.acme}`, { headers: bearer(token) })).status).toBe(200);
    expect((await app.request(`/api/v1/projects/${project.beta}`, { headers: bearer(token) })).status).toBe(404);
  });

  it('refuses a Keycloak token when the API trusts another issuer, and a tampered one', async () => {
    const token = await keycloakToken('platform-admin');
    const other = await stack.app.request('/api/v1/tenants', { headers: bearer(token) });
    expect(other.status).toBe(401);
    const [h, p, s] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(p, 'base64url').toString()) as Record<string, unknown>;
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...claims, groups: ['/tenants/beta/admin'] })).toString('base64url')}.${s}`;
    expect((await app.request('/api/v1/tenants', { headers: bearer(tampered) })).status).toBe(401);
  });
});
