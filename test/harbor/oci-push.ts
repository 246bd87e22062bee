import { createHash } from 'node:crypto';

/** A minimal OCI distribution client (plain fetch): blob uploads and manifest PUTs, as oras or skopeo would do. */

const sha256 = (data: Buffer | string) => `sha256:${createHash('sha256').update(data).digest('hex')}`;

/** HTTP Basic credentials for the registry endpoint, e.g. a robot's name and secret; none: anonymous. */
export interface RegistryAuth {
  username: string;
  password: string;
}

const authHeaders = (auth?: RegistryAuth): Record<string, string> =>
  auth ? { authorization: `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` } : {};

export interface PushedBlob {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

export async function pushBlob(base: string, repository: string, data: Buffer, mediaType: string, annotations?: Record<string, string>, auth?: RegistryAuth): Promise<PushedBlob> {
  const digest = sha256(data);
  const start = await fetch(`${base}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers: authHeaders(auth) });
  if (start.status !== 202) throw new Error(`blob upload start ${repository}: ${start.status} ${await start.text()}`);
  const location = new URL(start.headers.get('location')!, base);
  location.searchParams.set('digest', digest);
  const put = await fetch(location, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', ...authHeaders(auth) }, body: data });
  if (put.status !== 201) throw new Error(`blob upload ${repository}: ${put.status} ${await put.text()}`);
  return { mediaType, digest, size: data.length, ...(annotations ? { annotations } : {}) };
}

export async function putManifest(base: string, repository: string, reference: string, manifest: object, mediaType = 'application/vnd.oci.image.manifest.v1+json', auth?: RegistryAuth) {
  const body = JSON.stringify(manifest);
  const res = await fetch(`${base}/v2/${repository}/manifests/${reference}`, { method: 'PUT', headers: { 'content-type': mediaType, ...authHeaders(auth) }, body });
  if (res.status !== 201) throw new Error(`manifest put ${repository}:${reference}: ${res.status} ${await res.text()}`);
  return { digest: res.headers.get('docker-content-digest') ?? sha256(body), size: Buffer.byteLength(body) };
}

export interface ModelArtifact {
  digest: string;
  manifestSize: number;
  config: PushedBlob;
  layers: PushedBlob[];
  annotations: Record<string, string>;
  /** Harbor's artifact size: manifest + config + layers. */
  totalSize: number;
}

/** A small CNCF ModelPack-style model: model config, a weights layer and a README layer, with OCI annotations. */
export async function pushModel(base: string, repository: string, tag: string, opts: { title?: string; seed?: string; labels?: Record<string, string>; auth?: RegistryAuth; weights?: Buffer } = {}): Promise<ModelArtifact> {
  const seed = opts.seed ?? `${repository}:${tag}:${Date.now()}:${Math.random()}`;
  const config = await pushBlob(
    base,
    repository,
    Buffer.from(
      JSON.stringify({
        descriptor: { name: opts.title ?? repository.split('/').pop(), family: 'llama', version: tag, authors: ['ML Team <ml@acme.example>'], licenses: ['Apache-2.0'], createdAt: '2026-11-01T00:00:00Z' },
        config: { architecture: 'transformer', format: 'safetensors', paramSize: '8b', precision: 'bf16' },
        modelfs: { type: 'layers', diffIds: [] },
        capabilities: { inputTypes: ['text'], outputTypes: ['text'] },
      }),
    ),
    'application/vnd.cncf.model.config.v1+json',
    undefined,
    opts.auth,
  );
  const weights = await pushBlob(base, repository, opts.weights ?? Buffer.from(`weights ${seed}`.repeat(64)), 'application/vnd.cncf.model.weight.v1.raw', { 'org.cncf.model.filepath': 'model.safetensors' }, opts.auth);
  const readme = await pushBlob(base, repository, Buffer.from(`# ${repository}\n${seed}\n`), 'application/vnd.cncf.model.doc.v1.raw', { 'org.cncf.model.filepath': 'README.md' }, opts.auth);
  const annotations = {
    'org.opencontainers.image.title': opts.title ?? repository.split('/').pop()!,
    'org.opencontainers.image.description': `Model ${repository} ${tag}`,
    'org.opencontainers.image.authors': 'ML Team <ml@acme.example>',
    'org.opencontainers.image.licenses': 'Apache-2.0',
    'org.opencontainers.image.created': '2026-11-01T00:00:00Z',
    ...opts.labels,
  };
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    artifactType: 'application/vnd.cncf.model.manifest.v1+json',
    config,
    layers: [weights, readme],
    annotations,
  };
  const { digest, size } = await putManifest(base, repository, tag, manifest, undefined, opts.auth);
  return { digest, manifestSize: size, config, layers: [weights, readme], annotations, totalSize: size + config.size + weights.size + readme.size };
}

/** GET of a manifest, as `docker pull` starts: the raw answer, for the caller to check the status. */
export function pullManifest(base: string, repository: string, reference: string, auth?: RegistryAuth) {
  return fetch(`${base}/v2/${repository}/manifests/${reference}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json', ...authHeaders(auth) } });
}

/** A cosign-style signature stored as the `sha256-<hex>.sig` tag next to its subject. */
export async function pushCosignSignature(base: string, repository: string, subjectDigest: string) {
  const config = await pushBlob(base, repository, Buffer.from('{}'), 'application/vnd.oci.image.config.v1+json');
  const payload = await pushBlob(
    base,
    repository,
    Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': subjectDigest }, type: 'cosign container image signature' } })),
    'application/vnd.dev.cosign.simplesigning.v1+json',
    { 'dev.cosignproject.cosign/signature': 'MEUCIQDsimulated' },
  );
  return putManifest(base, repository, `${subjectDigest.replace(':', '-')}.sig`, { schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', config, layers: [payload] });
}
