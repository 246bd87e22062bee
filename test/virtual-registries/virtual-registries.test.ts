import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createActivities } from '../../activities';
import { bearer } from '../support/auth';
import { jsonRequest, readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { createTenant, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { freePort } from '../servers/ports';
import { historiesText } from '../support/histories';



describe('upstreams and virtual registries', () => {
  let stack: TestStack;
  let tenant: string;
  let other: string;
  let open: OciRegistry;
  let guarded: OciRegistry;
  const password = `pw-${uniqueName('s3cr3t')}`;
  const wrong = `wrong-${uniqueName('s3cr3t')}`;
  const upstreams = (t = tenant) => `/api/v1/tenants/${t}/upstreams`;
  const registries = (t = tenant) => `/api/v1/tenants/${t}/virtual-registries`;
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) => stack.app.request(path, jsonRequest(body, headers));
  const createUpstream = async (body: Record<string, unknown>, t = tenant) => {
    const res = await post(upstreams(t), body);
    const json = await readJson(res);
    expect(res.status, JSON.stringify(json)).toBe(201);
    return json;
  };
  const fieldsOf = async (res: Response) => {
    const body = await readJson(res);
    expect(res.status, JSON.stringify(body)).toBe(400);
    return [...new Set((body.errors as { field: string }[]).map((e) => e.field))].sort();
  };

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ captureLogs: true }));
    other = await createTenant(stack);
    [open, guarded] = await Promise.all([startOciRegistry(), startOciRegistry({ auth: { username: 'puller', password } })]);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
    await stack?.close();
  });

  it('creates, lists, reads, changes and deletes upstreams; credentials are write-only', async () => {
    const name = uniqueName('up');
    const made = await createUpstream({ name, url: guarded.url, description: 'the partner', credential: { username: 'puller', password } });
    expect(made).toMatchObject({ name, tenant, url: guarded.url, cacheValidityHours: 24, credentialKind: 'basic', username: 'puller', hasCredentials: true, description: 'the partner' });
    expect(JSON.stringify(made)).not.toContain(password);
    expect(await readJson(await stack.app.request(`${upstreams()}/${name}`))).toMatchObject({ name, hasCredentials: true });
    const page = await readJson(await stack.app.request(`${upstreams()}?limit=1`));
    expect(page.items).toHaveLength(1);
    expect((await post(upstreams(), { name, url: open.url })).status).toBe(409);

    const changed = await readJson(await stack.app.request(`${upstreams()}/${name}`, jsonRequest({ cacheValidityHours: 0, description: 'now' }, {}, 'PATCH')));
    expect(changed).toMatchObject({ cacheValidityHours: 0, description: 'now', hasCredentials: true });
    const anonymous = await readJson(await stack.app.request(`${upstreams()}/${name}`, jsonRequest({ credential: null, url: open.url }, {}, 'PATCH')));
    expect(anonymous).toMatchObject({ url: open.url, credentialKind: 'none', username: null, hasCredentials: false });
    expect((await stack.app.request(`${upstreams()}/${name}`, jsonRequest({}, {}, 'PATCH'))).status).toBe(400);

    const removed = await stack.app.request(`${upstreams()}/${name}`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await stack.app.request(`${upstreams()}/${name}`)).status).toBe(404);
    // The name is free again once archived.
    await createUpstream({ name, url: open.url });
  });

  it('checks an upstream: good credentials, wrong credentials, none where needed, an anonymous registry, an unreachable URL', async () => {
    const check = async (body: Record<string, unknown>) => {
      const name = uniqueName('chk');
      await createUpstream({ name, ...body });
      const res = await stack.app.request(`${upstreams()}/${name}/check`, { method: 'POST' });
      const json = await readJson(res);
      expect(res.status, JSON.stringify(json)).toBe(200);
      return json;
    };
    expect(await check({ url: guarded.url, credential: { username: 'puller', password } })).toMatchObject({ reachable: true, authenticated: true, status: 200 });
    const refused = await check({ url: guarded.url, credential: { username: 'puller', password: wrong } });
    expect(refused).toMatchObject({ reachable: true, authenticated: false, status: 401 });
    expect(refused.message).toMatch(/refused the credential of user "puller"/);
    expect(refused.message).not.toContain(wrong);
    expect(await check({ url: guarded.url })).toMatchObject({ reachable: true, authenticated: false, status: 401, message: expect.stringMatching(/asks for credentials/) });
    const anonymous = await check({ url: open.url });
    expect(anonymous).toMatchObject({ reachable: true, authenticated: true, status: 200 });
    expect(anonymous.latencyMs).toBeGreaterThanOrEqual(0);
    expect(await check({ url: `http://127.0.0.1:${await freePort()}` })).toMatchObject({ reachable: false, authenticated: false, status: null, message: expect.stringMatching(/not reachable \(ECONNREFUSED\)/) });
    expect((await stack.app.request(`${upstreams()}/${uniqueName('ghost')}/check`, { method: 'POST' })).status).toBe(404);
  });

  it('creates a virtual registry, sets and replaces its ordered list at once, refuses deleting a used upstream unless forced', async () => {
    const [a, b, c] = [uniqueName('a'), uniqueName('b'), uniqueName('c')];
    for (const n of [a, b, c]) await createUpstream({ name: n, url: open.url });
    const name = uniqueName('vr');
    const made = await post(registries(), { name, description: 'one pull address' });
    expect(made.status).toBe(201);
    expect(await readJson(made)).toMatchObject({ name, tenant, description: 'one pull address', upstreams: [] });
    expect((await post(registries(), { name })).status).toBe(409);

    const put = (list: unknown) => stack.app.request(`${registries()}/${name}/upstreams`, jsonRequest(list, {}, 'PUT'));
    const set = await put([{ upstream: b, position: 2 }, { upstream: a, position: 1 }]);
    expect(set.status).toBe(200);
    expect((await readJson(set)).upstreams).toEqual([{ position: 1, upstream: a, url: open.url }, { position: 2, upstream: b, url: open.url }]);
    const replaced = await readJson(await put([{ upstream: c, position: 1 }, { upstream: a, position: 3 }]));
    expect(replaced.upstreams.map((u: { upstream: string; position: number }) => [u.position, u.upstream])).toEqual([[1, c], [3, a]]);
    expect((await readJson(await stack.app.request(`${registries()}/${name}`))).upstreams).toHaveLength(2);
    const listed = await readJson(await stack.app.request(`${registries()}?limit=200`));
    expect(listed.items.find((r: { name: string }) => r.name === name).upstreams).toHaveLength(2);

    // A refused list changes nothing: the earlier one stays whole.
    expect(await fieldsOf(await put([{ upstream: b, position: 1 }, { upstream: uniqueName('ghost'), position: 2 }]))).toEqual(['body.1.upstream']);
    expect((await readJson(await stack.app.request(`${registries()}/${name}`))).upstreams.map((u: { upstream: string }) => u.upstream)).toEqual([c, a]);

    const refused = await stack.app.request(`${upstreams()}/${a}`, { method: 'DELETE' });
    expect(refused.status).toBe(409);
    const problem = await readJson(refused);
    expect(problem.virtualRegistries).toEqual([name]);
    expect(problem.detail).toContain(name);
    expect((await stack.app.request(`${upstreams()}/${a}?force=true`, { method: 'DELETE' })).status).toBe(200);
    expect((await readJson(await stack.app.request(`${registries()}/${name}`))).upstreams.map((u: { upstream: string }) => u.upstream)).toEqual([c]);

    expect(await readJson(await stack.app.request(`${registries()}/${name}`, jsonRequest({ description: 'changed' }, {}, 'PATCH')))).toMatchObject({ description: 'changed' });
    expect((await stack.app.request(`${registries()}/${name}`, { method: 'DELETE' })).status).toBe(200);
    expect((await stack.app.request(`${registries()}/${name}`)).status).toBe(404);
    // Its list went with it: the upstream is free to delete.
    expect((await stack.app.request(`${upstreams()}/${c}`, { method: 'DELETE' })).status).toBe(200);

    const audit = await stack.database.sql`select action from modelregistry.audit_events where resource = ${`tenants/${tenant}/virtual-registries/${name}`} order by occurred_at`;
    expect(audit.map((r) => r.action)).toEqual(['virtual_registry.created', 'virtual_registry.updated', 'virtual_registry.updated', 'virtual_registry.updated', 'virtual_registry.updated', 'virtual_registry.deleted']);
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'the virtual registry events',
      until: (records) => records.filter((e) => e.key === `tenants/${tenant}/virtual-registries/${name}`).length >= 6,
    });
    expect(events.filter((e) => e.key === `tenants/${tenant}/upstreams/${a}`).map((e) => JSON.parse(e.value).type)).toEqual(['modelregistry.upstream.created', 'modelregistry.upstream.deleted']);
  });

  it('answers bad input with a 400 naming the field', async () => {
    const up = uniqueName('bad');
    await createUpstream({ name: up, url: open.url });
    expect(await fieldsOf(await post(upstreams(), { name: 'x'.repeat(256), url: open.url }))).toEqual(['body.name']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: open.url, description: 'd'.repeat(1025) }))).toEqual(['body.description']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: 'ftp://example.com' }))).toEqual(['body.url']);
    // The registry's API paths are appended to the URL: a query or fragment would end up before them.
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: `${open.url}/v?x=1` }))).toEqual(['body.url']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: `${open.url}/#f` }))).toEqual(['body.url']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: 'https://user:pw@example.com' }))).toEqual(['body.url']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: open.url, cacheValidityHours: -1 }))).toEqual(['body.cacheValidityHours']);
    expect(await fieldsOf(await post(upstreams(), { name: 'ok', url: open.url, credential: { username: 'u' } }))).toEqual(['body.credential.password']);
    expect(await fieldsOf(await post(registries(), { name: 'x'.repeat(256) }))).toEqual(['body.name']);
    // A path component of every pull address: what no client could pull from is refused.
    for (const name of ['Models', 'a..b', 'models.', '-models']) expect(await fieldsOf(await post(registries(), { name })), name).toEqual(['body.name']);
    expect(await fieldsOf(await post(registries(), { name: 'ok', description: 'd'.repeat(1025) }))).toEqual(['body.description']);
    const ghost = await post(upstreams(uniqueName('ghost')), { name: 'ok', url: open.url });
    expect(ghost.status).toBe(404);
    expect((await readJson(ghost)).title).toBe('Tenant not found');

    const vr = uniqueName('vr');
    expect((await post(registries(), { name: vr })).status).toBe(201);
    const put = (list: unknown) => stack.app.request(`${registries()}/${vr}/upstreams`, jsonRequest(list, {}, 'PUT'));
    expect(await fieldsOf(await put([{ upstream: up, position: 0 }]))).toEqual(['body.0.position']);
    expect(await fieldsOf(await put([{ upstream: up, position: 6 }]))).toEqual(['body.0.position']);
    expect(await fieldsOf(await put([{ upstream: up, position: 1 }, { upstream: up, position: 2 }]))).toEqual(['body.1.upstream']);
    const five = await Promise.all([1, 2, 3, 4, 5].map(async (i) => (await createUpstream({ name: uniqueName(`u${i}`), url: open.url })).name as string));
    expect(await fieldsOf(await put([{ upstream: five[0], position: 1 }, { upstream: five[1], position: 1 }]))).toEqual(['body.1.position']);
    const six = [...five, up].map((upstream, i) => ({ upstream, position: Math.min(i + 1, 5) }));
    expect(await fieldsOf(await put(six))).toEqual(['body.5', 'body.5.position']);
    expect((await readJson(await put(five.map((upstream, i) => ({ upstream, position: 5 - i }))))).upstreams[0].upstream).toBe(five[4]);
    // Another tenant's upstream is unknown here.
    const theirs = (await createUpstream({ name: uniqueName('theirs'), url: open.url }, other)).name as string;
    expect(await fieldsOf(await put([{ upstream: up, position: 1 }, { upstream: theirs, position: 2 }]))).toEqual(['body.1.upstream']);
  });

  it('isolates tenants: another tenant sees and changes nothing', async () => {
    const up = uniqueName('mine');
    await createUpstream({ name: up, url: open.url });
    const outsider = bearer(await stack.auth.token({ username: 'outsider', tenant: other, role: 'admin' }));
    expect((await stack.app.request(`${upstreams()}/${up}`, { headers: outsider })).status).toBe(404);
    expect((await stack.app.request(upstreams(), { headers: outsider })).status).toBe(404);
    expect((await stack.app.request(`${upstreams()}/${up}`, { method: 'DELETE', headers: outsider })).status).toBe(404);
    expect((await post(registries(), { name: uniqueName('x') }, outsider)).status).toBe(404);
    const guest = bearer(await stack.auth.token({ username: 'guest', tenant, role: 'guest' }));
    expect((await stack.app.request(`${upstreams()}/${up}`, { headers: guest })).status).toBe(403);
    const developer = bearer(await stack.auth.token({ username: 'dev', tenant, role: 'developer' }));
    expect((await stack.app.request(`${upstreams()}/${up}`, { headers: developer })).status).toBe(200);
    expect((await stack.app.request(`${upstreams()}/${up}`, { method: 'DELETE', headers: developer })).status).toBe(403);
  });

  it('keeps credentials out of the row, the workflow histories, the logs, the events and the answers', async () => {
    const name = uniqueName('sealed');
    await createUpstream({ name, url: guarded.url, credential: { username: 'puller', password } });
    await readJson(await stack.app.request(`${upstreams()}/${name}`, jsonRequest({ credential: { username: 'puller', password: wrong } }, {}, 'PATCH')));
    expect((await readJson(await stack.app.request(`${upstreams()}/${name}/check`, { method: 'POST' }))).authenticated).toBe(false);
    const [row] = await stack.database.sql<{ username: string; sealed_secret: string }[]>`select username, sealed_secret from modelregistry.upstreams where tenant_id = ${tenant} and name = ${name} and not is_archived`;
    expect(row!.username).toBe('puller');
    expect(row!.sealed_secret).toMatch(/^v1:/);
    expect(row!.sealed_secret.includes(wrong)).toBe(false);
    const history = await historiesText(stack, `upstream:${tenant}/${name}`, 2);
    expect(history.includes('puller')).toBe(true);
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the upstream events', until: (records) => records.filter((e) => e.key === `tenants/${tenant}/upstreams/${name}`).length >= 2 });
    const mine = events.filter((e) => e.key === `tenants/${tenant}/upstreams/${name}`).map((e) => e.value);
    expect(mine.map((v) => JSON.parse(v).type)).toEqual(['modelregistry.upstream.created', 'modelregistry.upstream.updated']);
    const answers = JSON.stringify(await readJson(await stack.app.request(`${upstreams()}?limit=500`)));
    // Booleans, not the text: a failure must not print a secret.
    for (const text of [...mine, history, stack.logs.join('\n'), answers]) expect(text.includes(password) || text.includes(wrong)).toBe(false);
    expect(stack.logs.length).toBeGreaterThan(0);
  });

  it('partitions cache_entries by hash of the upstream; a lookup by upstream and key touches one partition', async () => {
    const partitions = await stack.database.sql<{ name: string }[]>`
      select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = 'modelregistry.cache_entries'::regclass order by 1`;
    expect(partitions.map((p) => p.name)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((i) => `cache_entries_0${i}`));
    const [strategy] = await stack.database.sql<{ s: string }[]>`select partstrat as s from pg_partitioned_table where partrelid = 'modelregistry.cache_entries'::regclass`;
    expect(strategy!.s).toBe('h');

    const up = await createUpstream({ name: uniqueName('cached'), url: open.url });
    const digest = `sha256:${'ab'.repeat(32)}`;
    await stack.database.sql`insert into modelregistry.cache_entries (upstream_id, tenant_id, relative_path, digest, size, object_storage_key, file_sha1)
      values (${up.id}, ${tenant}, ${`/v2/llm/blobs/${digest}`}, ${digest}, 42, 'k', '\\x00'::bytea)`;
    const [holder] = await stack.database.sql<{ p: string }[]>`select tableoid::regclass::text as p from modelregistry.cache_entries where upstream_id = ${up.id}`;
    const touched = async (plan: { 'QUERY PLAN': string }[]) => [...new Set(plan.map((l) => l['QUERY PLAN']).join('\n').match(/cache_entries_\d\d/g) ?? [])];
    const byPath = await stack.database.sql.unsafe(`explain select * from modelregistry.cache_entries where upstream_id = '${up.id}' and relative_path = '/v2/llm/blobs/${digest}'`);
    const byDigest = await stack.database.sql.unsafe(`explain select * from modelregistry.cache_entries where upstream_id = '${up.id}' and digest = '${digest}'`);
    expect(await touched(byPath as never)).toEqual([holder!.p.replace('modelregistry.', '')]);
    expect(await touched(byDigest as never)).toEqual([holder!.p.replace('modelregistry.', '')]);
    const all = await stack.database.sql.unsafe(`explain select * from modelregistry.cache_entries where digest = '${digest}'`);
    expect(await touched(all as never)).toHaveLength(8);
  });

  it("never leaves a registry's list naming an upstream a delete archived at the same time", async () => {
    const upstream = uniqueName('raced');
    const registry = uniqueName('raced');
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name: upstream, url: stack.harbor.registryUrl }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries`, jsonRequest({ name: registry }))).status).toBe(201);
    const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.upstreams where tenant_id = ${tenant} and name = ${upstream}`;
    const id = row!.id;

    // The delete's transaction (archiveUpstream) holds the upstream, has found no registry using it, and is about to archive it.
    const deleting = await stack.database.sql.reserve();
    await deleting`begin`;
    await deleting`select id from modelregistry.upstreams where id = ${id} for update`;
    const set = createActivities(stack.deps).setVirtualRegistryUpstreams({ tenant, name: registry }, [{ upstream, position: 1 }]).then(
      (record) => ({ record }),
      (err: Error & { type?: string }) => ({ err }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await deleting`update modelregistry.upstreams set is_archived = true, deleted_at = now() where id = ${id}`;
    await deleting`commit`;
    deleting.release();

    const outcome = await set;
    expect('err' in outcome && outcome.err.type).toBe('ValidationFailed');
    const listed = await stack.database.sql`select 1 from modelregistry.virtual_registry_upstreams where upstream_id = ${id}`;
    expect(listed).toHaveLength(0);
  });
});
