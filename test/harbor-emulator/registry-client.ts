import { MANIFEST_TYPES } from './oci';

/** Where a replication reads or writes: an OCI distribution endpoint, with HTTP Basic credentials or anonymous. */
export interface RegistryEndpoint {
  /** Scheme, host and port, without `/v2/`. */
  base: string;
  auth?: { username: string; password: string };
}

export interface RawManifest {
  bytes: Buffer;
  mediaType: string;
  digest: string;
}

/** What a blob upload's body goes through on its way (the emulator's faults break it there). */
export type BlobBodyFilter = (body: ReadableStream<Uint8Array>, size: number) => ReadableStream<Uint8Array>;

/**
 * The OCI distribution calls a replication job makes, as Harbor's registry client does: HEAD before
 * copying, monolithic or chunked blob uploads whose bodies stream from the source's GET (never held
 * in memory), manifests last. Errors say which request failed and how, as Harbor's job log does.
 */
export function registryClient(endpoint: RegistryEndpoint, signal: AbortSignal) {
  const base = endpoint.base.replace(/\/+$/, '');
  const authorization = endpoint.auth ? `Basic ${Buffer.from(`${endpoint.auth.username}:${endpoint.auth.password}`).toString('base64')}` : undefined;

  async function request(method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: ReadableStream<Uint8Array> | Buffer } = {}): Promise<Response> {
    const url = pathOrUrl.startsWith('http') ? pathOrUrl : `${base}${pathOrUrl}`;
    const headers = { ...init.headers, ...(authorization ? { authorization } : {}) };
    // A stream body goes with redirect 'error': for any other mode undici's fetch tees the body to keep
    // a replayable copy, and that unread branch holds the whole blob until the response (a stream could
    // not follow a 307 anyway).
    const streamed = init.body instanceof ReadableStream ? ({ duplex: 'half', redirect: 'error' } as const) : ({ redirect: 'follow' } as const);
    try {
      return await fetch(url, { method, headers, body: init.body, signal, ...streamed } as RequestInit);
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${method} "${url}": ${cause?.code ?? ''} ${cause?.message ?? (err as Error).message}`.replace(/\s+/g, ' ').trim());
    }
  }

  async function failed(res: Response, what: string): Promise<Error> {
    const text = (await res.text().catch(() => '')).trim().slice(0, 300);
    const reason = res.status === 401 ? 'unauthorized' : res.status === 403 ? 'forbidden' : res.status === 404 ? 'not found' : `unexpected status ${res.status}`;
    return new Error(`${what}: http status code: ${res.status}, ${reason}${text ? `, body: ${text}` : ''}`);
  }

  /** Follows `Link: <…>; rel="next"` as the registry pages its catalog. */
  async function paged<T>(first: string, what: string, items: (body: unknown) => T[]): Promise<T[]> {
    const out: T[] = [];
    let next: string | undefined = first;
    while (next) {
      const res = await request('GET', next);
      if (!res.ok) throw await failed(res, what);
      out.push(...items(await res.json()));
      next = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '')?.[1];
    }
    return out;
  }

  const uploadUrl = (location: string) => new URL(location, `${base}/`).toString();

  return {
    catalog: () => paged('/v2/_catalog?n=1000', `list the repositories of ${base}`, (b) => (b as { repositories?: string[] }).repositories ?? []),

    tags: (repository: string) => paged(`/v2/${repository}/tags/list?n=1000`, `list the tags of ${repository}`, (b) => (b as { tags?: string[] | null }).tags ?? []),

    async manifest(repository: string, reference: string): Promise<RawManifest> {
      const res = await request('GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
      if (!res.ok) throw await failed(res, `pull the manifest ${repository}:${reference}`);
      const bytes = Buffer.from(await res.arrayBuffer());
      return { bytes, mediaType: res.headers.get('content-type') ?? '', digest: res.headers.get('docker-content-digest') ?? reference };
    },

    /** The digest `reference` points to, or null when there is none. */
    async manifestDigest(repository: string, reference: string): Promise<string | null> {
      const res = await request('HEAD', `/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES } });
      if (res.status === 404) return null;
      if (!res.ok) throw await failed(res, `check the existence of the artifact ${repository}:${reference}`);
      return res.headers.get('docker-content-digest');
    },

    async blobExists(repository: string, digest: string): Promise<boolean> {
      const res = await request('HEAD', `/v2/${repository}/blobs/${digest}`);
      if (res.status === 404) return false;
      if (!res.ok) throw await failed(res, `check the existence of the blob ${digest} in ${repository}`);
      return true;
    },

    /** The blob's body as a stream; with `range`, only those bytes (inclusive, as HTTP ranges are). */
    async blob(repository: string, digest: string, range?: [number, number]): Promise<ReadableStream<Uint8Array>> {
      const res = await request('GET', `/v2/${repository}/blobs/${digest}`, range ? { headers: { range: `bytes=${range[0]}-${range[1]}` } } : {});
      if (!res.ok || !res.body) throw await failed(res, `pull the blob ${digest} of ${repository}`);
      // Locked at once by the pipe: undici cancels the unlocked body of a Response the GC collects, and
      // the caller keeps only the body (across the upload's POST), so a collection there ended the blob.
      return res.body.pipeThrough(new TransformStream<Uint8Array, Uint8Array>());
    },

    /** A monolithic upload: POST, then one PUT with the whole body and the digest. */
    async pushBlob(repository: string, digest: string, body: ReadableStream<Uint8Array>): Promise<void> {
      const start = await request('POST', `/v2/${repository}/blobs/uploads/`);
      if (start.status !== 202) throw await failed(start, `start the upload of the blob ${digest} to ${repository}`);
      await start.body?.cancel();
      const url = new URL(uploadUrl(start.headers.get('location') ?? ''));
      url.searchParams.set('digest', digest);
      const put = await request('PUT', url.toString(), { headers: { 'content-type': 'application/octet-stream' }, body });
      if (put.status !== 201) throw await failed(put, `push the blob ${digest} to ${repository}`);
      await put.body?.cancel();
    },

    /** A chunked upload: POST, a PATCH per chunk (`Content-Range`), then a PUT with the digest and no body. */
    async pushBlobChunked(repository: string, digest: string, size: number, chunkSize: number, chunk: (range: [number, number]) => Promise<ReadableStream<Uint8Array>>): Promise<void> {
      const start = await request('POST', `/v2/${repository}/blobs/uploads/`);
      if (start.status !== 202) throw await failed(start, `start the upload of the blob ${digest} to ${repository}`);
      await start.body?.cancel();
      let location = uploadUrl(start.headers.get('location') ?? '');
      for (let from = 0; from < size; from += chunkSize) {
        const to = Math.min(from + chunkSize, size) - 1;
        const patch = await request('PATCH', location, {
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${from}-${to}` },
          body: await chunk([from, to]),
        });
        if (patch.status !== 202) throw await failed(patch, `push the chunk ${from}-${to} of the blob ${digest} to ${repository}`);
        await patch.body?.cancel();
        location = uploadUrl(patch.headers.get('location') ?? location);
      }
      const url = new URL(location);
      url.searchParams.set('digest', digest);
      const put = await request('PUT', url.toString());
      if (put.status !== 201) throw await failed(put, `complete the upload of the blob ${digest} to ${repository}`);
      await put.body?.cancel();
    },

    async putManifest(repository: string, reference: string, manifest: RawManifest): Promise<void> {
      const res = await request('PUT', `/v2/${repository}/manifests/${reference}`, { headers: { 'content-type': manifest.mediaType }, body: manifest.bytes });
      if (res.status !== 201) throw await failed(res, `push the manifest ${repository}:${reference}`);
      await res.body?.cancel();
    },

    /** Every item of a Harbor API list (`/api/v2.0/…`), following its `Link` pages. */
    harborList: <T>(path: string, what: string) => paged<T>(path, what, (b) => b as T[]),

    /** A Harbor endpoint's project, created when missing (Harbor's adapter prepares the namespaces it pushes to). */
    async ensureHarborProject(name: string): Promise<void> {
      const head = await request('HEAD', `/api/v2.0/projects?project_name=${encodeURIComponent(name)}`);
      if (head.status === 200) return;
      if (head.status !== 404) throw await failed(head, `check the existence of the project ${name}`);
      const res = await request('POST', '/api/v2.0/projects', { headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ project_name: name, metadata: { public: 'false' } })) });
      if (res.status !== 201 && res.status !== 409) throw await failed(res, `create the project ${name}`);
      await res.body?.cancel();
    },
  };
}

export type RegistryClient = ReturnType<typeof registryClient>;
