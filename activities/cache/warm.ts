import { heartbeat, log } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Db } from '../../db/client';
import type { FillLocks } from '../../db/fill-locks';
import { findPullTarget, type PullTarget } from '../../db/cache-entries';
import { FailureType, notFound, operationFailed, validationFailed } from '../../lib/failure-types';
import type { ObjectStore } from '../../lib/object-store';
import type { SecretBox } from '../../lib/secrets';
import { createPullService, type PullResponse } from '../../registry-proxy';

/** A virtual registry's model version to prefetch: `name` as in a pull address, `reference` a tag or digest. */
export interface WarmTarget {
  tenant: string;
  virtualRegistry: string;
  name: string;
  reference: string;
}

export interface WarmBlob {
  digest: string;
  size: number;
}

/** What a warm has to fetch: the version's manifest digest, its manifests (an index has several) and its distinct blobs. */
export interface WarmPlan {
  digest: string;
  mediaType: string;
  manifests: number;
  blobs: WarmBlob[];
}

interface Descriptor {
  digest?: unknown;
  size?: unknown;
}

/**
 * Heartbeats go out on a timer, not per bytes received: a warm waiting on another pull's fill of the
 * same blob receives none, and must not time out for it. A dead worker's attempt is still noticed.
 */
const HEARTBEAT_MS = 10_000;

const isDescriptor = (d: unknown): d is { digest: string; size: number } =>
  typeof d === 'object' && d !== null && typeof (d as Descriptor).digest === 'string' && typeof (d as Descriptor).size === 'number';

/**
 * A pull's error answer as a failure: every upstream said 404 (or the registry has none) is the
 * caller's problem and final; an upstream that failed may come back, so that one is retried.
 */
function pullFailure(res: PullResponse, what: string): Error {
  const body = Buffer.isBuffer(res.body) ? (JSON.parse(res.body.toString('utf8')) as { errors?: { code: string; message: string }[] }) : {};
  const message = body.errors?.[0]?.message ?? `${what}: ${res.status}`;
  if (res.status === 404) return notFound(message, { code: body.errors?.[0]?.code });
  if (res.status === 400) return validationFailed(message);
  return ApplicationFailure.create({ type: FailureType.UpstreamUnavailable, message });
}

/**
 * Warming a virtual registry's cache (issue #16): the pull path's own code fetches a model version's
 * manifests and blobs into the cache, with no client on the other end, so a later pull is a hit.
 */
export function createCacheWarmActivities({ db, cache, secrets, fillLocks }: { db: Db; cache?: ObjectStore; secrets: SecretBox; fillLocks?: FillLocks }) {
  const pulls = cache ? createPullService({ db, store: cache, secrets, fillLocks, logger: { warn: (obj: object, msg?: string) => log.warn(msg ?? 'pull', obj as Record<string, unknown>) } }) : null;
  const service = () => {
    if (!pulls) throw new Error('no cache object store configured for the worker (CACHE_DIR or CACHE_STORAGE=s3)');
    return pulls;
  };
  const targetOf = async (t: Pick<WarmTarget, 'tenant' | 'virtualRegistry'>): Promise<PullTarget> => {
    const target = await findPullTarget(db, t.tenant, t.virtualRegistry);
    if (!target) throw notFound(`no virtual registry "${t.virtualRegistry}" in tenant "${t.tenant}"`);
    return target;
  };

  return {
    /** Fetches the version's manifest (and an index's manifests) into the cache; the blobs they name, each once. */
    async warmVirtualRegistryManifests(input: WarmTarget): Promise<WarmPlan> {
      const pull = service();
      const target = await targetOf(input);
      const manifest = async (reference: string) => {
        const res = await pull.manifests.pull(target, input.name, reference);
        if (res.status !== 200 || !Buffer.isBuffer(res.body)) throw pullFailure(res, `manifest ${input.name}:${reference}`);
        heartbeat();
        try {
          return { digest: res.headers['docker-content-digest']!, mediaType: res.headers['content-type']!, body: JSON.parse(res.body.toString('utf8')) as Record<string, unknown> };
        } catch {
          throw operationFailed(`manifest ${input.name}:${reference} is not JSON`);
        }
      };
      const top = await manifest(input.reference);
      const children = Array.isArray(top.body.manifests) ? top.body.manifests.filter(isDescriptor) : [];
      const images = children.length > 0 ? await Promise.all(children.map((c) => manifest(c.digest))) : [top];
      const blobs = new Map<string, number>();
      for (const image of images) {
        const layers = Array.isArray(image.body.layers) ? image.body.layers : [];
        for (const d of [image.body.config, ...layers]) if (isDescriptor(d)) blobs.set(d.digest, d.size);
      }
      return { digest: top.digest, mediaType: top.mediaType, manifests: images.length + (children.length > 0 ? 1 : 0), blobs: [...blobs].map(([digest, size]) => ({ digest, size })) };
    },

    /** One blob into the cache (a hit costs nothing); heartbeats with the bytes fetched so far. */
    async warmVirtualRegistryBlob(input: Omit<WarmTarget, 'reference'> & { digest: string }): Promise<{ size: number; cached: boolean }> {
      const pull = service();
      const target = await targetOf(input);
      let bytes = 0;
      const beat = setInterval(() => heartbeat({ bytes }), HEARTBEAT_MS);
      try {
        const filled = await pull.blobs.fill(target, input.name, input.digest, (n) => (bytes += n));
        if ('status' in filled) throw pullFailure(filled, `blob ${input.digest} of ${input.name}`);
        return filled;
      } finally {
        clearInterval(beat);
      }
    },
  };
}
