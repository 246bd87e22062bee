import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushBlob, pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { createTenant, startStackWithTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { readJson } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { ageCacheEntries, cacheEntriesOf, createUpstream, createVirtualRegistry, ensureTool, OCI_MANIFEST as MANIFEST, pullAnswersCounted, pullCacheCounted, pushTitledModel, runTool, setUpstreams, sha256, startCountingProxy } from './pull-support';

describe('the virtual registry pull endpoint (OCI distribution, read-only)', () => {
  let stack: TestStack;
  let tenant: string;
  let host: string;
  let token: string;
  let mirror: OciRegistry;
  let guarded: OciRegistry;
  let skopeo: string;
  let oras: string;
  const password = `pw-${uniqueName('s3cr3t')}`;
  const creds = { username: 'puller', password };
  const v2 = (path: string, headers: Record<string, string> = bearer(token), method = 'GET') => fetch(`http://${host}/v2/${path}`, { method, headers });

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant({ listen: true }));
    host = stack.apiUrl!.replace(/^http:\/\//, '');
    token = await stack.auth.token({ username: 'reader', tenant, role: 'guest' });
    [mirror, guarded] = await Promise.all([startOciRegistry(), startOciRegistry({ auth: creds })]);
    // Installed here, not in the test: on a fresh machine apt and a go build take minutes.
    [skopeo, oras] = await Promise.all([ensureTool('skopeo'), ensureTool('oras')]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all([mirror?.stop(), guarded?.stop()]);
    await stack?.close();
  });

  it('answers /v2/ with 401 and a Basic challenge without credentials, 200 with a token as Basic password or as Bearer', async () => {
    const anonymous = await fetch(`http://${host}/v2/`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="model-registry"');
    expect(anonymous.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect((await readJson(anonymous)).errors[0].code).toBe('UNAUTHORIZED');

    const basic = await fetch(`http://${host}/v2/`, { headers: { authorization: `Basic ${Buffer.from(`anyone:${token}`).toString('base64')}` } });
    expect(basic.status).toBe(200);
    expect(basic.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect((await fetch(`http://${host}/v2/`, { headers: bearer(token) })).status).toBe(200);

    const forged = await fetch(`http://${host}/v2/`, { headers: { authorization: `Basic ${Buffer.from('anyone:not-a-jwt').toString('base64')}` } });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toBe('Basic realm="model-registry"');
  });

  it('pulls a model only upstream 2 has with skopeo and oras, records it in the cache, and serves it again with upstream 2 stopped', async () => {
    const partner = await startOciRegistry({ auth: creds });
    let partnerStopped = false;
    const work = mkdtempSync(join(tmpdir(), 'pull-'));
    try {
      const repository = `acme/${uniqueName('llama')}`;
      const model = await pushTitledModel(partner.url, repository, '1.2.0', creds);
      const first = await createUpstream(stack, tenant, { url: mirror.url });
      const second = await createUpstream(stack, tenant, { url: partner.url, credential: creds });
      const registry = await createVirtualRegistry(stack, tenant, [first, second]);
      const ref = `${host}/${tenant}/${registry}/${repository}:1.2.0`;

      const layout = join(work, 'layout');
      await runTool(skopeo, ['copy', '--insecure-policy', '--src-tls-verify=false', '--src-creds', `anyone:${token}`, `docker://${ref}`, `oci:${layout}:1.2.0`]);
      const index = JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8')) as { manifests: { digest: string }[] };
      expect(index.manifests.map((m) => m.digest)).toEqual([model.digest]);
      for (const [i, data] of Object.values(model.files).entries()) {
        const copied = readFileSync(join(layout, 'blobs', 'sha256', model.layers[i]!.digest.slice(7)));
        expect(sha256(copied)).toBe(sha256(data));
      }

      const out = join(work, 'oras');
      const pulled = await runTool(oras, ['pull', '--plain-http', '-u', 'anyone', '-p', token, '-o', out, ref]);
      expect(pulled.stdout).toMatch(/Downloaded .* model\.safetensors/);
      for (const [name, data] of Object.entries(model.files)) expect(readFileSync(join(out, name)).equals(data)).toBe(true);
      const descriptor = await runTool(oras, ['manifest', 'fetch', '--plain-http', '-u', 'anyone', '-p', token, '--descriptor', ref]);
      expect(JSON.parse(descriptor.stdout)).toMatchObject({ mediaType: MANIFEST, digest: model.digest });

      // Recorded as cache entries of upstream 2 (none of upstream 1), objects under <tenant>/<upstreamId>/….
      const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.upstreams where tenant_id = ${tenant} and name = ${second} and not is_archived`;
      const upstreamId = row!.id;
      expect(await cacheEntriesOf(stack, tenant, first)).toEqual([]);
      const entries = await cacheEntriesOf(stack, tenant, second);
      const byPath = new Map(entries.map((e) => [e.relative_path, e]));
      const blobs = [model.config, ...model.layers];
      expect([...byPath.keys()].sort()).toEqual(
        [`v2/${repository}/manifests/1.2.0`, `v2/${repository}/manifests/${model.digest}`, ...blobs.map((b) => `v2/${repository}/blobs/${b.digest}`)].sort(),
      );
      expect(byPath.get(`v2/${repository}/manifests/1.2.0`)).toMatchObject({ digest: model.digest, content_type: MANIFEST, status: 0, object_storage_key: `${tenant}/${upstreamId}/manifests/sha256/${model.digest.slice(7)}` });
      const weights = byPath.get(`v2/${repository}/blobs/${model.layers[0]!.digest}`)!;
      const data = model.files['model.safetensors'];
      expect(weights).toMatchObject({ digest: model.layers[0]!.digest, size: String(data.length), object_storage_key: `${tenant}/${upstreamId}/blobs/sha256/${model.layers[0]!.digest.slice(7)}` });
      // md5 and sha1 are computed from the stored file before the entry is committed: every entry has both.
      expect(weights.file_md5!.toString('hex')).toBe(createHash('md5').update(data).digest('hex'));
      expect(weights.file_sha1.toString('hex')).toBe(createHash('sha1').update(data).digest('hex'));
      expect(weights.upstream_etag).toBe(`"${model.layers[0]!.digest}"`);
      expect(readFileSync(join(stack.cacheDir, weights.object_storage_key)).equals(data)).toBe(true);

      // Upstream 2 stopped: the cache serves, the manifest while valid as a hit…
      await partner.stop();
      partnerStopped = true;
      const manifest = await v2(`${tenant}/${registry}/${repository}/manifests/1.2.0`, { ...bearer(token), accept: MANIFEST });
      expect(manifest.status).toBe(200);
      expect(manifest.headers.get('x-cache')).toBe('hit');
      expect(manifest.headers.get('docker-content-digest')).toBe(model.digest);
      expect(sha256(Buffer.from(await manifest.arrayBuffer()))).toBe(model.digest);
      const blob = await v2(`${tenant}/${registry}/${repository}/blobs/${model.layers[0]!.digest}`);
      expect(blob.headers.get('x-cache')).toBe('hit');
      expect(Buffer.from(await blob.arrayBuffer()).equals(data)).toBe(true);
      // …and once expired, as stale, since no upstream can say whether the tag moved.
      await ageCacheEntries(stack, tenant, second, 25);
      const stale = await v2(`${tenant}/${registry}/${repository}/manifests/1.2.0`);
      expect(stale.status).toBe(200);
      expect(stale.headers.get('x-cache')).toBe('stale');
      expect(stale.headers.get('warning')).toBe('110 - "Response is Stale"');
      const again = join(work, 'again');
      await runTool(skopeo, ['copy', '--insecure-policy', '--src-tls-verify=false', '--src-creds', `anyone:${token}`, `docker://${ref}`, `oci:${again}:1.2.0`]);
      expect((JSON.parse(readFileSync(join(again, 'index.json'), 'utf8')) as { manifests: { digest: string }[] }).manifests[0]!.digest).toBe(model.digest);
    } finally {
      if (!partnerStopped) await partner.stop();
      rmSync(work, { recursive: true, force: true });
    }
  });

  it('re-checks a tag after its validity with a HEAD: an unchanged tag is not downloaded again, a moved one is', async () => {
    const proxy = await startCountingProxy(mirror.url);
    try {
      const repository = `acme/${uniqueName('tagged')}`;
      const pushed = await pushModel(mirror.url, repository, 'stable');
      const upstream = await createUpstream(stack, tenant, { url: proxy.url });
      const registry = await createVirtualRegistry(stack, tenant, [upstream]);
      const manifestGets = () => proxy.count('GET', /\/manifests\/stable$/);
      const manifestHeads = () => proxy.count('HEAD', /\/manifests\/stable$/);
      const pull = async () => {
        const res = await v2(`${tenant}/${registry}/${repository}/manifests/stable`);
        expect(res.status).toBe(200);
        await res.arrayBuffer();
        return { digest: res.headers.get('docker-content-digest'), cache: res.headers.get('x-cache') };
      };

      expect(await pull()).toEqual({ digest: pushed.digest, cache: 'miss' });
      expect(await pull()).toEqual({ digest: pushed.digest, cache: 'hit' });
      expect([manifestGets(), manifestHeads()]).toEqual([1, 0]);

      await ageCacheEntries(stack, tenant, upstream, 25);
      expect(await pull()).toEqual({ digest: pushed.digest, cache: 'hit' });
      expect([manifestGets(), manifestHeads()]).toEqual([1, 1]); // asked, not downloaded
      const [checked] = (await cacheEntriesOf(stack, tenant, upstream)).filter((e) => e.relative_path.endsWith('/manifests/stable'));
      expect(Date.now() - new Date(checked!.upstream_checked_at).getTime()).toBeLessThan(60_000);

      const moved = await pushModel(mirror.url, repository, 'stable');
      expect(await pull()).toEqual({ digest: pushed.digest, cache: 'hit' }); // still valid: not asked
      await ageCacheEntries(stack, tenant, upstream, 25);
      expect(await pull()).toEqual({ digest: moved.digest, cache: 'miss' });
      expect([manifestGets(), manifestHeads()]).toEqual([2, 2]);
      // By digest the old content stays served from the cache, never re-checked.
      const old = await v2(`${tenant}/${registry}/${repository}/manifests/${pushed.digest}`);
      expect([old.status, old.headers.get('x-cache')]).toEqual([200, 'hit']);
      expect(proxy.count('GET', new RegExp(`/manifests/${pushed.digest}$`))).toBe(0);
    } finally {
      await proxy.stop();
    }
  });

  it('resolves a name both upstreams have to position 1, and to the other after reordering', async () => {
    const repository = `acme/${uniqueName('both')}`;
    const inMirror = await pushModel(mirror.url, repository, '1.0.0');
    const inGuarded = await pushModel(guarded.url, repository, '1.0.0', { auth: creds });
    const a = await createUpstream(stack, tenant, { url: mirror.url });
    const b = await createUpstream(stack, tenant, { url: guarded.url, credential: creds });
    const registry = await createVirtualRegistry(stack, tenant, [a, b]);
    const digest = async () => (await v2(`${tenant}/${registry}/${repository}/manifests/1.0.0`)).headers.get('docker-content-digest');
    expect(await digest()).toBe(inMirror.digest);
    await setUpstreams(stack, tenant, registry, [b, a]);
    expect(await digest()).toBe(inGuarded.digest);
    await setUpstreams(stack, tenant, registry, [a, b]);
    expect(await digest()).toBe(inMirror.digest);
  });

  it('skips an upstream it could not reach for a while: the next pulls go on to the next upstream without asking it', async () => {
    // Upstream 1 accepts connections and drops them at once, counting them.
    let connections = 0;
    const dropping = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => dropping.listen(0, '127.0.0.1', resolve));
    try {
      const repository = `acme/${uniqueName('skip')}`;
      const model = await pushModel(mirror.url, repository, '1.0.0');
      const down = await createUpstream(stack, tenant, { url: `http://127.0.0.1:${(dropping.address() as AddressInfo).port}` });
      const registry = await createVirtualRegistry(stack, tenant, [down, await createUpstream(stack, tenant, { url: mirror.url })]);
      const pull = async () => {
        const res = await v2(`${tenant}/${registry}/${repository}/manifests/1.0.0`);
        return [res.status, res.headers.get('docker-content-digest')];
      };
      const [misses, hits] = await Promise.all([pullCacheCounted(stack.apiUrl!, 'manifest', 'miss'), pullCacheCounted(stack.apiUrl!, 'manifest', 'hit')]);
      expect(await pull()).toEqual([200, model.digest]);
      const asked = connections;
      expect(asked).toBeGreaterThan(0);
      for (let i = 0; i < 3; i++) expect(await pull()).toEqual([200, model.digest]);
      expect(connections).toBe(asked);
      // The cache's outcomes, counted for its hit ratio: one miss, then hits.
      expect(await pullCacheCounted(stack.apiUrl!, 'manifest', 'miss')).toBe(misses + 1);
      expect(await pullCacheCounted(stack.apiUrl!, 'manifest', 'hit')).toBe(hits + 3);
      // A name only upstream 1 could have: the answer names it as not reachable, and says for how long it is skipped.
      const missing = await v2(`${tenant}/${registry}/acme/${uniqueName('absent')}/manifests/1.0.0`);
      expect(missing.status).toBe(502);
      expect((await readJson(missing)).errors[0].message).toMatch(/not asked again for \d+ s/);
      expect(connections).toBe(asked);
    } finally {
      await new Promise((resolve) => dropping.close(resolve));
    }
  });

  it('keeps a resolution in memory per API process, and every process sees a reorder, a new list or a deletion at its next pull', async () => {
    const repository = `acme/${uniqueName('moved')}`;
    const inMirror = await pushModel(mirror.url, repository, '1.0.0');
    const inGuarded = await pushModel(guarded.url, repository, '1.0.0', { auth: creds });
    const a = await createUpstream(stack, tenant, { url: mirror.url });
    const b = await createUpstream(stack, tenant, { url: guarded.url, credential: creds });
    const registry = await createVirtualRegistry(stack, tenant, [a, b]);
    // Two API processes' pull services, each with its own memory: the listening app, and another on the same database.
    const other = stack.appWith({});
    const path = `/v2/${tenant}/${registry}/${repository}/manifests/1.0.0`;
    const pulls = () => Promise.all([fetch(`http://${host}${path}`, { headers: bearer(token) }), other.raw.request(path, { headers: bearer(token) })]);
    const digests = async () => (await pulls()).map((r) => r.headers.get('docker-content-digest'));
    expect(await digests()).toEqual([inMirror.digest, inMirror.digest]);
    expect(await digests()).toEqual([inMirror.digest, inMirror.digest]); // the resolutions read just before serve
    await setUpstreams(stack, tenant, registry, [b, a]);
    expect(await digests()).toEqual([inGuarded.digest, inGuarded.digest]);
    await setUpstreams(stack, tenant, registry, [a]);
    expect(await digests()).toEqual([inMirror.digest, inMirror.digest]);
    const deleted = await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries/${registry}`, { method: 'DELETE' });
    expect(deleted.status).toBeLessThan(300);
    const gone = await pulls();
    expect(gone.map((r) => r.status)).toEqual([404, 404]);
    for (const r of gone) expect((await readJson(r)).errors[0].code).toBe('NAME_UNKNOWN');
  });

  it('says clearly when an upstream refuses its credential (check says authenticated: false, see virtual-registries.test.ts)', async () => {
    const repository = `acme/${uniqueName('locked')}`;
    await pushModel(guarded.url, repository, '1.0.0', { auth: creds });
    const wrong = `wrong-${uniqueName('pw')}`;
    const bad = await createUpstream(stack, tenant, { url: guarded.url, credential: { username: 'puller', password: wrong } });
    const registry = await createVirtualRegistry(stack, tenant, [bad]);
    const res = await v2(`${tenant}/${registry}/${repository}/manifests/1.0.0`);
    const body = await res.text();
    expect(res.status).toBe(502);
    expect(JSON.parse(body).errors[0].code).toBe('UNAVAILABLE');
    expect(JSON.parse(body).errors[0].message).toMatch(new RegExp(`upstream "${bad}" refused the credential of user "puller" \\(401\\)`));
    expect(body).not.toContain(wrong);
  });

  it("refuses another tenant's users with NAME_UNKNOWN, as the REST API hides other tenants", async () => {
    const repository = `acme/${uniqueName('private')}`;
    await pushModel(mirror.url, repository, '1.0.0');
    const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const other = await createTenant(stack);
    const outsider = await stack.auth.token({ username: 'outsider', tenant: other, role: 'admin' });
    const path = `${tenant}/${registry}/${repository}/manifests/1.0.0`;
    const refused = await v2(path, bearer(outsider));
    expect(refused.status).toBe(404);
    expect((await readJson(refused)).errors[0].code).toBe('NAME_UNKNOWN');
    const developer = await stack.auth.token({ username: 'dev', tenant, role: 'developer' });
    expect((await v2(path, bearer(developer))).status).toBe(200);
    expect((await v2(path, {})).status).toBe(401);
    // One who may see the tenant but not read its models is told so (a policy where that holds: the embedded one has no such role).
    const seesOnly = stack.appWith({ auth: { ...stack.auth.deps, pdp: { decide: (input) => Promise.resolve(input.action === 'projects.read') } } });
    const denied = await seesOnly.raw.request(`/v2/${path}`, { headers: bearer(developer) });
    expect(denied.status).toBe(403);
    expect((await readJson(denied)).errors[0]).toMatchObject({ code: 'DENIED', message: 'dev may not models.read in tenant ' + tenant });

    // A grant limited to versions (the evaluator's 0.*) holds by tag on the pull path too.
    await pushModel(mirror.url, repository, '0.1.0');
    const evaluator = bearer(await stack.auth.token({ username: 'eva', tenant, role: 'evaluator' }));
    expect((await v2(`${tenant}/${registry}/${repository}/manifests/0.1.0`, evaluator)).status).toBe(200);
    const released = await v2(path, evaluator);
    expect(released.status).toBe(403);
    expect((await readJson(released)).errors[0]).toMatchObject({ code: 'DENIED', message: `eva may not models.read version 1.0.0 in tenant ${tenant}` });
  });

  it('answers bad names, references and digests with the spec error codes, never a 500; lists tags with n/last pagination', async () => {
    const repository = `acme/${uniqueName('tags')}`;
    for (const tag of ['1.0.0', '1.1.0', '2.0.0']) await pushModel(mirror.url, repository, tag);
    const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const base = `${tenant}/${registry}/${repository}`;
    const cases: [string, string, number, string][] = [
      [`${tenant}/${registry}/Acme/Upper/manifests/1.0.0`, 'GET', 400, 'NAME_INVALID'],
      [`${tenant}/${registry}/acme//x/manifests/1.0.0`, 'GET', 400, 'NAME_INVALID'],
      [`${base}/blobs/sha256:abc`, 'GET', 400, 'DIGEST_INVALID'],
      [`${base}/blobs/md5:${'a'.repeat(32)}`, 'GET', 400, 'DIGEST_INVALID'],
      [`${base}/blobs/latest`, 'HEAD', 400, 'DIGEST_INVALID'],
      [`${base}/manifests/sha256:${'A'.repeat(64)}`, 'GET', 400, 'DIGEST_INVALID'],
      [`${base}/manifests/-dash`, 'GET', 404, 'MANIFEST_UNKNOWN'],
      [`${base}/manifests/9.9.9`, 'GET', 404, 'MANIFEST_UNKNOWN'],
      [`${base}/blobs/sha256:${'0'.repeat(64)}`, 'GET', 404, 'BLOB_UNKNOWN'],
      [`${tenant}/${uniqueName('ghost')}/${repository}/manifests/1.0.0`, 'GET', 404, 'NAME_UNKNOWN'],
      [`${tenant}/${registry}/acme/${uniqueName('nothing')}/tags/list`, 'GET', 404, 'NAME_UNKNOWN'],
      [`${tenant}/${registry}/acme`, 'GET', 404, 'NAME_UNKNOWN'],
      [`${base}/manifests/1.0.0`, 'DELETE', 405, 'UNSUPPORTED'],
      [`${base}/blobs/uploads/`, 'POST', 405, 'UNSUPPORTED'],
      [`${base}/tags/list?n=many`, 'GET', 400, 'PAGINATION_NUMBER_INVALID'],
    ];
    for (const [path, method, status, code] of cases) {
      const res = await v2(path, bearer(token), method);
      expect([path, method, res.status]).toEqual([path, method, status]);
      if (method !== 'HEAD') expect((await readJson(res)).errors[0].code).toBe(code);
      expect(res.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    }

    const page1 = await v2(`${base}/tags/list?n=2`);
    expect(await readJson(page1)).toEqual({ name: repository, tags: ['1.0.0', '1.1.0'] });
    expect(page1.headers.get('link')).toBe(`</v2/${base}/tags/list?n=2&last=1.1.0>; rel="next"`);
    const page2 = await v2(`${base}/tags/list?n=2&last=1.1.0`);
    expect(await readJson(page2)).toEqual({ name: repository, tags: ['2.0.0'] });
    expect(page2.headers.get('link')).toBeNull();
    expect(await readJson(await v2(`${base}/tags/list`))).toEqual({ name: repository, tags: ['1.0.0', '1.1.0', '2.0.0'] });
  });

  it('serves byte ranges of a cached blob (206) and HEADs with size and digest; metrics count each answer with its real status', async () => {
    const repository = `acme/${uniqueName('ranged')}`;
    const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
    const blob = await pushBlob(mirror.url, repository, data, 'application/octet-stream');
    const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const path = `${tenant}/${registry}/${repository}/blobs/${blob.digest}`;
    const counted = async () => Object.fromEntries(await Promise.all([200, 206, 416].map(async (s) => [s, await pullAnswersCounted(stack.apiUrl!, s)] as const)));
    const before = await counted();
    const head = await v2(path, bearer(token), 'HEAD');
    expect([head.status, head.headers.get('content-length'), head.headers.get('docker-content-digest')]).toEqual([200, '1000', blob.digest]);
    // A ranged miss fetches the whole blob into the cache, then answers the range.
    const ranged = await v2(path, { ...bearer(token), range: 'bytes=100-199' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(ranged.headers.get('x-cache')).toBe('miss');
    expect(Buffer.from(await ranged.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    const tail = await v2(path, { ...bearer(token), range: 'bytes=-10' });
    expect(Buffer.from(await tail.arrayBuffer()).equals(data.subarray(990))).toBe(true);
    const beyond = await v2(path, { ...bearer(token), range: 'bytes=5000-' });
    expect([beyond.status, beyond.headers.get('content-range')]).toEqual([416, 'bytes */1000']);
    // A unit it does not know, and several ranges, are ignored (RFC 9110 §14.2): the whole blob.
    for (const range of ['items=0-1', 'bytes=0-1,3-4']) {
      const whole = await v2(path, { ...bearer(token), range });
      expect([whole.status, whole.headers.get('content-range'), whole.headers.get('x-cache')], range).toEqual([200, null, 'hit']);
      expect(Buffer.from(await whole.arrayBuffer()).equals(data), range).toBe(true);
    }
    expect(existsSync(join(stack.cacheDir, tenant))).toBe(true);
    // The ranges were streamed straight into Node's response: counted as the 206s they were, not as 200s.
    const after = await counted();
    expect({ 200: after[200]! - before[200]!, 206: after[206]! - before[206]!, 416: after[416]! - before[416]! }).toEqual({ 200: 2, 206: 2, 416: 1 });
  });

  it('notes a served entry as used (what the maintenance Schedule expires by), at most once an hour', async () => {
    const repository = `acme/${uniqueName('used')}`;
    const blob = await pushBlob(mirror.url, repository, Buffer.from('used weights'), 'application/octet-stream');
    const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
    const path = `${tenant}/${registry}/${repository}/blobs/${blob.digest}`;
    const miss = await v2(path, bearer(token));
    expect(miss.headers.get('x-cache')).toBe('miss');
    await miss.arrayBuffer();
    await eventually('the blob cached', async () => (await v2(path, bearer(token), 'HEAD')).headers.get('x-cache') === 'hit');
    const usedHoursAgo = async () => {
      const [row] = await stack.database.sql<{ hours: number }[]>`
        select extract(epoch from now() - updated_at) / 3600 as hours from modelregistry.cache_entries where relative_path = ${`v2/${repository}/blobs/${blob.digest}`}`;
      return Number(row!.hours);
    };
    const age = (minutes: number) => stack.database.sql`
      update modelregistry.cache_entries set updated_at = now() - make_interval(mins => ${minutes}) where relative_path = ${`v2/${repository}/blobs/${blob.digest}`}`;
    await age(30);
    expect((await v2(path, bearer(token))).headers.get('x-cache')).toBe('hit');
    expect(await usedHoursAgo()).toBeGreaterThan(0.4); // used within the hour: no write
    await age(48 * 60);
    expect((await v2(path, bearer(token), 'HEAD')).headers.get('x-cache')).toBe('hit');
    expect(await usedHoursAgo()).toBeLessThan(0.1);
  });
});
