import type { EmulatorContext } from './context';

/** Largest body kept: manifests and model configs, never weights. */
export const CONTENT_CACHE_MAX_BYTES = 64 * 1024;
const BY_DIGEST = /^\/v2\/(.+)\/(manifests|blobs)\/(sha256:[a-f0-9]{64})$/;


interface Entry {
  body: Uint8Array;
  headers: [string, string][];
}

const caches = new WeakMap<EmulatorContext, Map<string, Entry>>();
const cacheOf = (ctx: EmulatorContext) => {
  let cache = caches.get(ctx);
  if (!cache) caches.set(ctx, (cache = new Map()));
  return cache;
};

/** The cache key of a repository's manifest or blob: its path below /v2/. */
export const contentKey = (repository: string, kind: 'manifests' | 'blobs', digest: string) => `${repository}/${kind}/${digest}`;

/** The cache key of a GET/DELETE by digest, or undefined. */
export function digestKey(path: string): string | undefined {
  const m = BY_DIGEST.exec(path);
  return m ? contentKey(m[1]!, m[2] as 'manifests' | 'blobs', m[3]!) : undefined;
}

/**
 * Manifests and small blobs read by digest, kept as the registry answered them. Content by digest
 * cannot change, so only a delete through the emulator ends an entry. Without it, every catalogue
 * import makes the emulator and the registry each serve the same bytes again, and the benchmarks
 * would measure a second copy of the registry's work on the service's two cores.
 */
export const contentCache = {
  /** A fresh response for a cached GET, or undefined. */
  get(ctx: EmulatorContext, key: string): Response | undefined {
    const hit = cacheOf(ctx).get(key);
    return hit ? new Response(hit.body, { status: 200, headers: hit.headers }) : undefined;
  },
  /** Keeps a successful small answer; returns a response equivalent to the one consumed. */
  async keep(ctx: EmulatorContext, key: string, upstream: Response): Promise<Response> {
    const length = Number(upstream.headers.get('content-length') ?? Infinity);
    if (upstream.status !== 200 || !(length <= CONTENT_CACHE_MAX_BYTES)) return upstream;
    const body = new Uint8Array(await upstream.arrayBuffer());
    const headers = [...upstream.headers.entries()];
    cacheOf(ctx).set(key, { body, headers });
    return new Response(body, { status: 200, headers });
  },
  /** A pushed manifest or small blob: what a GET by its digest will answer. */
  put(ctx: EmulatorContext, key: string, body: ArrayBuffer, mediaType: string): void {
    if (body.byteLength > CONTENT_CACHE_MAX_BYTES) return;
    const digest = key.slice(key.lastIndexOf('/') + 1);
    cacheOf(ctx).set(key, {
      body: new Uint8Array(body),
      headers: [['content-type', mediaType], ['content-length', String(body.byteLength)], ['docker-content-digest', digest], ['etag', `"${digest}"`]],
    });
  },
  delete(ctx: EmulatorContext, key: string): void {
    cacheOf(ctx).delete(key);
  },
};
