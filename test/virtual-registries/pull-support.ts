import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, request as httpRequest, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { pushBlob, putManifest, type RegistryAuth } from '../harbor/oci-push';
import { jsonRequest, readJson } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';
import { startOciRegistry } from '../servers/oci-registry';

const run = promisify(execFile);

/** Installs (once) and finds a real OCI client through its scripts/ensure-*.sh, as a fresh clone would. */
export async function ensureTool(tool: 'skopeo' | 'oras'): Promise<string> {
  const script = fileURLToPath(new URL(`../../scripts/ensure-${tool}.sh`, import.meta.url));
  const { stdout } = await run('bash', [script], { maxBuffer: 1 << 20 });
  return stdout.trim();
}

/** Runs a client; its output on failure, in the error, to read why. */
export async function runTool(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(bin, args, { maxBuffer: 16 << 20, timeout: 120_000 });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${bin} ${args[0]} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** A model whose files carry `org.opencontainers.image.title`, so that `oras pull` writes them out by name. */
export async function pushTitledModel(base: string, repository: string, tag: string, auth?: RegistryAuth) {
  const files = { 'model.safetensors': Buffer.from(`weights ${uniqueName('w')} `.repeat(8192)), 'README.md': Buffer.from(`# ${repository}\n${uniqueName('r')}\n`) };
  const config = await pushBlob(base, repository, Buffer.from(JSON.stringify({ descriptor: { name: repository } })), 'application/vnd.cncf.model.config.v1+json', undefined, auth);
  const layers = [];
  for (const [title, data] of Object.entries(files)) layers.push(await pushBlob(base, repository, data, 'application/vnd.cncf.model.weight.v1.raw', { 'org.opencontainers.image.title': title }, auth));
  const manifest = { schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.cncf.model.manifest.v1+json', config, layers };
  const { digest } = await putManifest(base, repository, tag, manifest, OCI_MANIFEST, auth);
  return { digest, config, layers, files };
}

export const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

export interface CountingProxy {
  url: string;
  /** Every request that reached the upstream through the proxy: method and path. */
  requests: { method: string; path: string }[];
  count(method: string, pattern: RegExp): number;
  stop(): Promise<void>;
}

/** An HTTP proxy in front of a registry that counts what the pull path asks the upstream. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const base = new URL(target);
  const requests: { method: string; path: string }[] = [];
  const server: Server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '' });
    const upstream = httpRequest({ host: base.hostname, port: base.port, method: req.method, path: req.url, headers: { ...req.headers, host: base.host } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    count: (method, pattern) => requests.filter((r) => r.method === method && pattern.test(r.path)).length,
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** An upstream of `tenant` through the API (201 asserted); its name. */
export async function createUpstream(stack: TestStack, tenant: string, body: Record<string, unknown>): Promise<string> {
  const name = uniqueName('up');
  const res = await stack.app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name, ...body }));
  expect(res.status, JSON.stringify(await readJson(res.clone()))).toBe(201);
  return name;
}

/** A virtual registry of `tenant` in front of `upstreams` (position = index + 1); its name. */
export async function createVirtualRegistry(stack: TestStack, tenant: string, upstreams: string[]): Promise<string> {
  const name = uniqueName('vr');
  expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries`, jsonRequest({ name }))).status).toBe(201);
  await setUpstreams(stack, tenant, name, upstreams);
  return name;
}

/** An OCI registry holding one titled model (`acme/llama-…:1.2.0`), and a virtual registry of the tenant in front of it; the caller stops the mirror. */
export async function startMirroredModel(stack: TestStack, tenant: string) {
  const mirror = await startOciRegistry();
  const repository = `acme/${uniqueName('llama')}`;
  const model = await pushTitledModel(mirror.url, repository, '1.2.0');
  const registry = await createVirtualRegistry(stack, tenant, [await createUpstream(stack, tenant, { url: mirror.url })]);
  return { mirror, repository, model, registry };
}

export async function setUpstreams(stack: TestStack, tenant: string, registry: string, upstreams: string[]) {
  const res = await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries/${registry}/upstreams`, jsonRequest(upstreams.map((upstream, i) => ({ upstream, position: i + 1 })), {}, 'PUT'));
  expect(res.status, JSON.stringify(await readJson(res.clone()))).toBe(200);
}

/** The cache entries of an upstream (by name, in a tenant), as the database holds them. */
export async function cacheEntriesOf(stack: TestStack, tenant: string, upstream: string) {
  return stack.database.sql<{ relative_path: string; digest: string; size: string; status: number; object_storage_key: string; upstream_etag: string | null; content_type: string | null; file_md5: Buffer | null; file_sha1: Buffer; upstream_checked_at: string }[]>`
    select e.relative_path, e.digest, e.size, e.status, e.object_storage_key, e.upstream_etag, e.content_type, e.file_md5, e.file_sha1, e.upstream_checked_at
    from modelregistry.cache_entries e join modelregistry.upstreams u on u.id = e.upstream_id
    where u.tenant_id = ${tenant} and u.name = ${upstream} and not u.is_archived order by e.relative_path`;
}

/** Makes an upstream's entries older than its validity, as time passing would. */
export async function ageCacheEntries(stack: TestStack, tenant: string, upstream: string, hours: number) {
  await stack.database.sql`
    update modelregistry.cache_entries e set upstream_checked_at = now() - make_interval(hours => ${hours})
    from modelregistry.upstreams u where u.id = e.upstream_id and u.tenant_id = ${tenant} and u.name = ${upstream} and not u.is_archived`;
}

/** A counter's value in the API's `/metrics` for the sample carrying every one of `labels` (0 when none). */
async function counted(apiUrl: string, metric: string, labels: string[]): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) && labels.every((label) => l.includes(label)));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

/** How many `GET /v2/*` answers of `status` the API's `/metrics` has counted (`modelregistry_http_requests_total`). */
export const pullAnswersCounted = (apiUrl: string, status: number) => counted(apiUrl, 'modelregistry_http_requests_total', ['method="GET"', 'route="/v2/*"', `status="${status}"`]);

/** How many GETs of a manifest or blob the API counted as answered with `outcome` (`modelregistry_pull_cache_total`). */
export const pullCacheCounted = (apiUrl: string, kind: 'manifest' | 'blob', outcome: 'hit' | 'miss' | 'stale') =>
  counted(apiUrl, 'modelregistry_pull_cache_total', ['method="GET"', `kind="${kind}"`, `outcome="${outcome}"`]);

/**
 * An upstream that serves one model whose weights stop halfway until `release()`: the warm's
 * progress can be read at a known point instead of racing a fast download.
 */
export async function startHeldUpstream(repository: string) {
  const config = Buffer.from('{"descriptor":{"name":"held"}}');
  const weights = Buffer.alloc(4 * 1024 * 1024, 7);
  const blobs = new Map([
    [sha256(config), config],
    [sha256(weights), weights],
  ]);
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.cncf.model.config.v1+json', digest: sha256(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.cncf.model.weight.v1.raw', digest: sha256(weights), size: weights.length }],
    }),
  );
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const send = (res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer) => {
    res.writeHead(status, { 'docker-distribution-api-version': 'registry/2.0', ...headers });
    res.end(body);
  };
  const server: Server = createServer((req, res) => {
    const url = req.url ?? '';
    if (url === '/v2/') return send(res, 200, { 'content-type': 'application/json' }, Buffer.from('{}'));
    if (url === `/v2/${repository}/manifests/1.0.0` || url === `/v2/${repository}/manifests/${sha256(manifest)}`) {
      return send(res, 200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': sha256(manifest), 'content-length': String(manifest.length) }, req.method === 'HEAD' ? undefined : manifest);
    }
    const blob = /^\/v2\/.+\/blobs\/(sha256:[a-f0-9]{64})$/.exec(url);
    const data = blob && blobs.get(blob[1]!);
    if (!data) return send(res, 404, { 'content-type': 'application/json' }, Buffer.from('{"errors":[{"code":"OCI_MANIFEST_UNKNOWN","message":"unknown"}]}'));
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'docker-content-digest': blob[1]!, 'content-length': String(data.length) });
    if (data === config) return res.end(data);
    res.write(data.subarray(0, data.length / 2));
    void released.then(() => res.end(data.subarray(data.length / 2)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    manifestDigest: sha256(manifest),
    weights: { digest: sha256(weights), size: weights.length },
    configSize: config.length,
    release,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
