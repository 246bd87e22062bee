/**
 * Where a cached file lives in the object store: `<tenant>/<upstreamId>/blobs/sha256/<hex>` for a
 * blob, `…/manifests/sha256/<hex>` for a manifest. By upstream, so an upstream's objects share a
 * prefix; by digest, so entries of the same content (two names, a tag and its digest) share one object.
 */
export type CacheObjectKind = 'blobs' | 'manifests';

export const cacheObjectKey = (tenant: string, upstreamId: string, kind: CacheObjectKind, digest: string) => {
  const [algorithm, hex] = digest.split(':');
  return `${tenant}/${upstreamId}/${kind}/${algorithm}/${hex}`;
};

const KEY = /^([^/]+)\/([0-9a-f-]{36})\/(blobs|manifests)\/([a-z0-9]+)\/([a-f0-9]+)$/;

/** The parts of a key in that layout, or null for anything else (never ours to remove). */
export function parseCacheObjectKey(key: string): { tenant: string; upstreamId: string; kind: CacheObjectKind; digest: string } | null {
  const m = KEY.exec(key);
  return m ? { tenant: m[1]!, upstreamId: m[2]!, kind: m[3] as CacheObjectKind, digest: `${m[4]}:${m[5]}` } : null;
}
