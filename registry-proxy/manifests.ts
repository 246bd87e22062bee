import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import type { Db } from '../db/client';
import { findCacheEntries, findCacheEntry, markCacheEntryChecked, noteCacheEntryUsed, upsertCacheEntry, type CacheEntry, type PullTarget, type PullUpstream } from '../db/cache-entries';
import { cacheObjectKey } from '../lib/cache-keys';
import { CACHE_ENTRY_STATUS, MANIFEST_ACCEPT, manifestPath, ociError, SHA256_DIGEST } from '../lib/oci-distribution';
import type { Logger } from '../lib/logger';
import type { ObjectStore } from '../lib/object-store';
import { createManifestMemo } from './manifest-memo';
import { cacheHeaders, errorResponse, failureOf, notFoundOrFailed, type CacheOutcome, type PullResponse, type UpstreamFailure } from './answers';
import { UpstreamUnreachable, type UpstreamClient } from './upstream-client';

/** The spec's advice to registries: manifests above 4 MiB may be refused. Anything bigger is not a manifest we cache. */
const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export interface ManifestDeps {
  db: Db;
  store: ObjectStore;
  upstreams: UpstreamClient;
  logger: Pick<Logger, 'warn'>;
}

const isFresh = (entry: CacheEntry, u: PullUpstream) => new Date(entry.upstreamCheckedAt).getTime() + u.cacheValidityHours * 3_600_000 > Date.now();

function manifestResponse(body: Buffer, digest: string, contentType: string | null, outcome: CacheOutcome): PullResponse {
  return {
    status: 200,
    headers: { 'content-type': contentType ?? 'application/vnd.oci.image.manifest.v1+json', 'content-length': String(body.length), 'docker-content-digest': digest, ...cacheHeaders(outcome) },
    body,
  };
}

/**
 * Manifests through a virtual registry: upstreams in position order, the first that has the reference
 * answers. By digest the content never changes, so any upstream's cached copy serves. By tag an
 * upstream's entry serves while it is younger than the upstream's `cache_validity_hours`; then a
 * `HEAD` asks whether the tag still has the cached digest (unchanged: not downloaded again). When every
 * upstream that could have it fails, the first stale entry serves, marked stale.
 */
export function createManifestPulls(deps: ManifestDeps) {
  // A hit reads its bytes from memory, not the store: four file operations (or an S3 GET) fewer per GET.
  const memo = createManifestMemo();

  async function fromCache(entry: CacheEntry, outcome: CacheOutcome): Promise<PullResponse | null> {
    if (!entry.digest) return null;
    let body = memo.get(entry.objectStorageKey);
    if (!body) {
      const object = await deps.store.get(entry.objectStorageKey);
      if (!object) return null; // purged behind the entry's back: a miss
      body = await buffer(object.body);
      memo.set(entry.objectStorageKey, body);
    }
    await noteCacheEntryUsed(deps.db, entry);
    return manifestResponse(body, entry.digest, entry.contentType, outcome);
  }

  /** GET from one upstream, verified and cached under both the reference and the digest. */
  async function download(target: PullTarget, u: PullUpstream, name: string, reference: string): Promise<PullResponse | UpstreamFailure | 'absent'> {
    const res = await deps.upstreams.request(u, `/v2/${name}/manifests/${reference}`, { method: 'GET', accept: MANIFEST_ACCEPT });
    if (res.status === 404) {
      await res.body?.cancel();
      return 'absent';
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return failureOf(u, res.status);
    }
    const declared = Number(res.headers.get('content-length') ?? 0);
    if (declared > MAX_MANIFEST_BYTES) {
      await res.body?.cancel();
      return { upstream: u.name, status: 200, reason: `serves a manifest of ${declared} bytes, over the ${MAX_MANIFEST_BYTES} this registry takes` };
    }
    const body = Buffer.from(await res.arrayBuffer());
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    if (SHA256_DIGEST.test(reference) && digest !== reference) return { upstream: u.name, status: 200, reason: `served a manifest whose digest is ${digest}, not ${reference}` };
    const contentType = res.headers.get('content-type');
    const objectStorageKey = cacheObjectKey(target.tenant, u.id, 'manifests', digest);
    try {
      await deps.store.put(objectStorageKey, Readable.from([body]), body.length);
    } catch (err) {
      // The cache's store failing is no reason to fail the pull: served as fetched, not cached.
      deps.logger.warn({ upstream: u.name, name, reference, err: (err as Error).message }, 'manifest not cached');
      return manifestResponse(body, digest, contentType, 'miss');
    }
    const entry = {
      upstreamId: u.id,
      registryId: target.registryId,
      tenantId: target.tenant,
      digest,
      size: body.length,
      status: CACHE_ENTRY_STATUS.default,
      objectStorageKey,
      upstreamEtag: res.headers.get('etag'),
      contentType,
      fileMd5: createHash('md5').update(body).digest(),
      fileSha1: createHash('sha1').update(body).digest(),
      upstreamCheckedAt: new Date().toISOString(),
    };
    for (const ref of new Set([reference, digest])) await upsertCacheEntry(deps.db, { ...entry, relativePath: manifestPath(name, ref) });
    return manifestResponse(body, digest, contentType, 'miss');
  }

  return {
    async pull(target: PullTarget, name: string, reference: string): Promise<PullResponse> {
      const path = manifestPath(name, reference);
      const byDigest = SHA256_DIGEST.test(reference);
      if (byDigest) {
        for (const entry of await findCacheEntries(deps.db, target, path)) {
          const cached = await fromCache(entry, 'hit');
          if (cached) return cached;
        }
      }
      const failures: UpstreamFailure[] = [];
      const stale: CacheEntry[] = [];
      for (const u of target.upstreams) {
        try {
          const entry = byDigest ? null : await findCacheEntry(deps.db, target, u.id, path);
          if (entry && isFresh(entry, u)) {
            const cached = await fromCache(entry, 'hit');
            if (cached) return cached;
          } else if (entry) {
            // Re-check: is the tag still the cached digest? Unchanged: served from the cache, valid again.
            const res = await deps.upstreams.request(u, `/v2/${name}/manifests/${reference}`, { method: 'HEAD', accept: MANIFEST_ACCEPT });
            await res.body?.cancel();
            if (res.status === 404) continue;
            if (res.status !== 200) {
              failures.push(failureOf(u, res.status));
              stale.push(entry);
              continue;
            }
            if (res.headers.get('docker-content-digest') === entry.digest) {
              const cached = await fromCache(entry, 'hit');
              if (cached) {
                await markCacheEntryChecked(deps.db, u.id, path);
                return cached;
              }
            }
          }
          const fetched = await download(target, u, name, reference);
          if (fetched === 'absent') continue;
          if ('upstream' in fetched) {
            failures.push(fetched);
            if (entry) stale.push(entry);
            continue;
          }
          return fetched;
        } catch (err) {
          if (!(err instanceof UpstreamUnreachable)) throw err;
          failures.push({ upstream: u.name, status: null, reason: `is not reachable (${err.message.replace(/^.*: /, '')})` });
          const entry = byDigest ? null : await findCacheEntry(deps.db, target, u.id, path);
          if (entry) stale.push(entry);
        }
      }
      for (const entry of stale) {
        const cached = await fromCache(entry, 'stale');
        if (cached) return cached;
      }
      if (target.upstreams.length === 0) return errorResponse(ociError(404, 'NAME_UNKNOWN', 'the virtual registry has no upstreams'));
      return notFoundOrFailed('MANIFEST_UNKNOWN', `manifest ${name}:${reference}`, failures);
    },
  };
}
