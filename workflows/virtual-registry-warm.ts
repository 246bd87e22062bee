import { defineQuery, proxyActivities, setHandler, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { WarmTarget } from '../activities/cache/warm';
import type { Actor } from './actor';
import { profiles } from './activity-options';

const fill = proxyActivities<Activities>(profiles.cacheFill);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

export interface WarmProgress {
  status: 'resolving' | 'fetching' | 'done';
  /** The version's manifest digest, once resolved. */
  digest: string | null;
  blobsTotal: number;
  blobsDone: number;
  bytesTotal: number;
  bytesDone: number;
  /** Blobs that were in the cache already (nothing fetched for them). */
  blobsCached: number;
  /** The blob being fetched. */
  current: string | null;
}

export const warmProgressQuery = defineQuery<WarmProgress>('progress');

export interface WarmInput extends WarmTarget {
  actor: Actor;
}

/**
 * Prefetches a model version through a virtual registry into its cache (issue #16): its manifest (an
 * index's manifests too) from the first upstream that has it, as a pull would, then each distinct blob,
 * one at a time so progress is in order; blobs already cached cost nothing. `progress` answers the
 * query meanwhile. Audited and published as `modelregistry.virtual_registry.warmed`.
 */
export async function virtualRegistryWarmWorkflow(input: WarmInput): Promise<WarmProgress> {
  const progress: WarmProgress = { status: 'resolving', digest: null, blobsTotal: 0, blobsDone: 0, bytesTotal: 0, bytesDone: 0, blobsCached: 0, current: null };
  setHandler(warmProgressQuery, () => progress);
  const target = { tenant: input.tenant, virtualRegistry: input.virtualRegistry, name: input.name };
  const plan = await fill.warmVirtualRegistryManifests({ ...target, reference: input.reference });
  Object.assign(progress, { status: 'fetching', digest: plan.digest, blobsTotal: plan.blobs.length, bytesTotal: plan.blobs.reduce((n, b) => n + b.size, 0) });
  for (const blob of plan.blobs) {
    progress.current = blob.digest;
    const { size, cached } = await fill.warmVirtualRegistryBlob({ ...target, digest: blob.digest });
    progress.blobsDone++;
    progress.bytesDone += size;
    if (cached) progress.blobsCached++;
  }
  Object.assign(progress, { status: 'done', current: null });
  const subject = `tenants/${input.tenant}/virtual-registries/${input.virtualRegistry}`;
  const warmed = { name: input.name, reference: input.reference, digest: plan.digest, manifests: plan.manifests, blobs: plan.blobs.length, blobsCached: progress.blobsCached, bytes: progress.bytesDone };
  const event = { id: uuid4(), type: 'modelregistry.virtual_registry.warmed', subject, time: new Date().toISOString(), data: warmed };
  await db.recordAudit({ eventKey: event.id, actor: input.actor.username, action: 'virtual_registry.warmed', resource: subject, details: { tenant: input.tenant, actorSubject: input.actor.subject, ...warmed } });
  await events.publishEvent(event);
  return progress;
}
