import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { historiesText } from '../support/histories';

const CLOSED = 'http://127.0.0.1:1';

describe('remote registries (Harbor registry endpoints)', () => {
  let stack: TestStack;
  let tenant: string;
  let other: string;
  const name = uniqueName('remote');
  const secret = `s3cr3t-${uniqueName('pw')}`;
  const newSecret = `n3w-${uniqueName('pw')}`;
  const path = (n = name) => `/api/v1/registries/${n}`;
  const harborEndpoints = () => stack.harbor.client.registries.list();

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ captureLogs: true }));
    other = await createTenant(stack);
  }, 120_000);
  afterAll(() => stack?.close());

  it('creates a docker-registry endpoint at the real OCI registry, pings it, lists, reads, changes and deletes it', async () => {
    const created = await stack.app.request('/api/v1/registries', jsonRequest({ name, tenant, type: 'docker-registry', url: stack.harbor.registryUrl, description: 'the stack\'s registry', credential: { access_key: 'puller', access_secret: secret } }));
    const body = await readJson(created);
    expect(created.status, JSON.stringify(body)).toBe(201);
    expect(body).toMatchObject({ name, tenant, type: 'docker-registry', url: stack.harbor.registryUrl, insecure: false, hasCredentials: true, ping: { reachable: true } });
    expect((await harborEndpoints()).find((r) => r.id === body.harborRegistryId)).toMatchObject({ name, type: 'docker-registry', url: stack.harbor.registryUrl });

    expect(await readJson(await stack.app.request(`${path()}/ping`, { method: 'POST' }))).toMatchObject({ reachable: true, status: 'healthy' });
    expect(await readJson(await stack.app.request(path()))).toMatchObject({ name, tenant, hasCredentials: true });
    const page = await readJson(await stack.app.request('/api/v1/registries?limit=200'));
    expect(page.items.map((r: { name: string }) => r.name)).toContain(name);

    // A URL Harbor cannot reach is taken (an endpoint may move), and the answer says so.
    const moved = await readJson(await stack.app.request(path(), jsonRequest({ url: CLOSED, description: 'moved' }, {}, 'PATCH')));
    expect(moved).toMatchObject({ url: CLOSED, description: 'moved', ping: { reachable: false } });
    expect((await readJson(await stack.app.request(`${path()}/ping`, { method: 'POST' }))).reachable).toBe(false);
    const back = await readJson(await stack.app.request(path(), jsonRequest({ url: stack.harbor.registryUrl, insecure: true }, {}, 'PATCH')));
    expect(back).toMatchObject({ url: stack.harbor.registryUrl, insecure: true, ping: { reachable: true } });

    const rotated = await stack.app.request(`${path()}/credentials`, jsonRequest({ access_key: 'puller2', access_secret: newSecret }, {}, 'PUT'));
    expect(rotated.status).toBe(200);
    expect(await readJson(rotated)).toMatchObject({ hasCredentials: true, ping: { reachable: true } });
    expect(stack.harbor.emulator.state.registries.get(body.harborRegistryId)?.credential).toMatchObject({ access_key: 'puller2', access_secret: newSecret });

    expect((await stack.app.request(path(), jsonRequest({}, {}, 'PATCH'))).status).toBe(400);

    // Harbor refuses deleting an endpoint a replication policy uses: 409, and it stays.
    const policy = await stack.harbor.client.replication.createPolicy({ name: uniqueName('push'), dest_registry: { id: body.harborRegistryId }, trigger: { type: 'manual' }, enabled: true });
    const refused = await stack.app.request(path(), { method: 'DELETE' });
    expect(refused.status).toBe(409);
    expect((await readJson(refused)).detail).toMatch(/replication/);
    expect((await stack.app.request(path())).status).toBe(200);
    await stack.harbor.client.replication.deletePolicy(policy);

    const removed = await stack.app.request(path(), { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await stack.app.request(path())).status).toBe(404);
    expect((await harborEndpoints()).some((r) => r.id === body.harborRegistryId)).toBe(false);

    const audit = await stack.database.sql`select action from modelregistry.audit_events where resource = ${`registries/${stack.registry}/${name}`} order by occurred_at`;
    expect(audit.map((a) => a.action)).toEqual(['registry.created', 'registry.updated', 'registry.updated', 'registry.updated', 'registry.deleted']);
  });

  it('keeps credentials out of the row, the workflow histories, the logs, the events and the answers', async () => {
    const [row] = await stack.database.sql<{ access_key: string; sealed_secret: string }[]>`select access_key, sealed_secret from modelregistry.remote_registries where name = ${name}`;
    expect(row!.access_key).toBe('puller2');
    expect(row!.sealed_secret).toMatch(/^v1:/);
    expect(row!.sealed_secret).not.toContain(newSecret);
    const history = await historiesText(stack, `remote-registry:${stack.registry}/${name}`, 5);
    // Booleans, not the text: a failure must not print the histories. The payloads are decoded: a secret would show.
    expect(history.includes('puller2')).toBe(true);
    expect(history.includes(newSecret)).toBe(false);
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the remote registry events',
      until: (records) => records.filter((e) => e.key === `registries/${stack.registry}/${name}`).length >= 5,
    });
    const mine = events.filter((e) => e.key === `registries/${stack.registry}/${name}`).map((e) => e.value);
    expect(mine.map((v) => JSON.parse(v).type)).toEqual(['created', 'updated', 'updated', 'updated', 'deleted'].map((c) => `modelregistry.registry.${c}`));
    for (const text of [...mine, history, stack.logs.join('\n')]) expect(text.includes(secret) || text.includes(newSecret)).toBe(false);
    expect(stack.logs.length).toBeGreaterThan(0);
    expect(JSON.stringify(await readJson(await stack.app.request('/api/v1/registries?limit=200')))).not.toContain('s3cr3t');
  });

  it('refuses (409) an endpoint Harbor cannot reach, naming url, and deletes it in Harbor again', async () => {
    const closed = uniqueName('closed');
    const res = await stack.app.request('/api/v1/registries', jsonRequest({ name: closed, tenant, type: 'harbor', url: CLOSED }));
    expect(res.status).toBe(409);
    const problem = await readJson(res);
    expect(problem.detail).toMatch(/url: Harbor cannot reach http:\/\/127\.0\.0\.1:1/);
    expect(problem.compensated).toEqual(['create-harbor-registry']);
    await eventually('the Harbor endpoint compensated', async () => !(await harborEndpoints()).some((r) => r.name === closed));
    expect((await stack.app.request(path(closed))).status).toBe(404);
  });

  it('isolates tenants: another tenant sees nothing, a tenant cannot make a shared one, everyone reads a shared one', async () => {
    const owned = uniqueName('owned');
    expect((await stack.app.request('/api/v1/registries', jsonRequest({ name: owned, tenant, type: 'docker-registry', url: stack.harbor.registryUrl }))).status).toBe(201);
    const outsider = bearer(await stack.auth.token({ username: 'outsider', tenant: other, role: 'admin' }));
    expect((await stack.app.request(path(owned), { headers: outsider })).status).toBe(404);
    expect((await stack.app.request(path(owned), jsonRequest({ description: 'x' }, outsider, 'PATCH'))).status).toBe(404);
    expect((await stack.app.request(path(owned), { method: 'DELETE', headers: outsider })).status).toBe(404);
    const listed = await readJson(await stack.app.request('/api/v1/registries?limit=200', { headers: outsider }));
    expect(listed.items.map((r: { name: string }) => r.name)).not.toContain(owned);
    const guest = bearer(await stack.auth.token({ username: 'guest', tenant, role: 'guest' }));
    expect((await stack.app.request(path(owned), { headers: guest })).status).toBe(403);

    const tenantAdmin = bearer(await stack.auth.token({ username: 'boss', tenant, role: 'admin' }));
    const sharedByTenant = await stack.app.request('/api/v1/registries', jsonRequest({ name: uniqueName('nope'), type: 'docker-registry', url: stack.harbor.registryUrl }, tenantAdmin));
    expect(sharedByTenant.status).toBe(403);
    expect((await readJson(sharedByTenant)).action).toBe('registries.write');
    // Another tenant, which this admin may not even read: the 404 of a tenant that does not exist.
    expect((await stack.app.request('/api/v1/registries', jsonRequest({ name: uniqueName('nope'), tenant: other, type: 'docker-registry', url: stack.harbor.registryUrl }, tenantAdmin))).status).toBe(404);

    const shared = uniqueName('shared');
    const made = await stack.app.request('/api/v1/registries', jsonRequest({ name: shared, type: 'docker-registry', url: stack.harbor.registryUrl }));
    expect(await readJson(made)).toMatchObject({ name: shared, tenant: null, hasCredentials: false });
    const developer = bearer(await stack.auth.token({ username: 'dev', tenant: other, role: 'developer' }));
    expect((await stack.app.request(path(shared), { headers: developer })).status).toBe(200);
    expect((await readJson(await stack.app.request('/api/v1/registries?limit=200', { headers: developer }))).items.map((r: { name: string }) => r.name)).toContain(shared);
    const changed = await stack.app.request(path(shared), jsonRequest({ description: 'mine now' }, tenantAdmin, 'PATCH'));
    expect(changed.status).toBe(403);
    expect((await stack.app.request(path(shared), { headers: guest })).status).toBe(404); // guests read no registries at all
  });

  it('answers bad input with a 400 problem naming the field', async () => {
    // The fields named, each once (a name can break its pattern and the control-character rule at once).
    const fieldsOf = async (body: unknown) =>
      [...new Set(((await readJson(await stack.app.request('/api/v1/registries', jsonRequest(body)))).errors as { field: string }[]).map((e) => e.field))].sort();
    expect(await fieldsOf({ name: 'a', type: 'nexus', url: stack.harbor.registryUrl })).toEqual(['body.type']);
    expect(await fieldsOf({ name: 'a', type: 'harbor', url: 'ftp://example.com' })).toEqual(['body.url']);
    expect(await fieldsOf({ name: 'a', type: 'harbor', url: 'https://user:pw@example.com' })).toEqual(['body.url']);
    expect(await fieldsOf({ name: 'a\u0007b', type: 'harbor', url: 'https://example.com', description: 'nul \u0000' })).toEqual(['body.description', 'body.name']);
    expect(await fieldsOf({ name: 'a', type: 'harbor', url: 'https://example.com', credential: { access_key: 'k\n', access_secret: 'x' } })).toEqual(['body.credential.access_key']);
    const ghost = await stack.app.request('/api/v1/registries', jsonRequest({ name: 'a', type: 'harbor', url: 'https://example.com', tenant: uniqueName('ghost') }));
    expect(ghost.status).toBe(404);
    expect((await readJson(ghost)).title).toBe('Tenant not found');
  });
});
