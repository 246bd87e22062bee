// The catalogue's composite activity: it reads Harbor and writes PostgreSQL in one activity, so it
// belongs to neither system's folder; its Harbor reads are the Harbor repository activities'.
import { activityInfo, heartbeat } from '@temporalio/activity';
import { and, eq, inArray, like } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { markProcessed } from '../../db/inbox/deliveries';
import { auditEvents, tags } from '../../db/schema';
import { nameUuid } from '../../lib/name-uuid';
import { extractModelMetadata, type OciManifest } from '../../lib/model-metadata';
import { ARTIFACT_EVENTS, type RepositoryEvent } from '../../lib/repository-events';
import { existingLiveRepository, liveRepository, reconcileArtifactsIn, type ArtifactChange, type ImportedArtifact } from '../db/catalogue-import';
import { writeImagesMetadata, type ImageMetadata } from '../db/model-metadata';
import { isNotFound } from '../harbor/errors';
import type { HarborInstances } from '../harbor/instances';
import type { createHarborRepositoryActivities } from '../harbor/repositories';

type HarborReads = Pick<ReturnType<typeof createHarborRepositoryActivities>, 'fetchHarborArtifact' | 'fetchArtifactManifest' | 'fetchArtifactConfig'>;

/** Harbor reads of one batch in flight at once. */
const READ_CONCURRENCY = 8;

export interface RepositoryBatchInput {
  registry: string;
  project: string;
  projectId: string;
  repository: string;
  events: RepositoryEvent[];
}

export interface AppliedChange {
  digest: string;
  change: ArtifactChange;
  tags: string[];
  /**
   * The id of this change's event: named by the webhook event that made it and the change, so a
   * retry or a re-delivery that reports the same change again publishes the same id (consumers
   * drop it), while a different change of the same event (Harbor moved on) gets its own.
   * Always set; absent only from results recorded in histories before it existed.
   */
  eventId?: string;
}

interface HarborView {
  artifact: ImportedArtifact | null;
  manifest?: { manifest: OciManifest; config: unknown };
}

async function forEachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** The manifest and config of a digest, or null when Harbor no longer has it. */
async function manifestOrGone(harbor: HarborReads, at: { registry: string; project: string; repository: string }, digest: string) {
  try {
    return await harbor.fetchArtifactManifest(at.registry, at.project, at.repository, digest);
  } catch (err) {
    if (isNotFound(err)) return null;
    throw err;
  }
}

/**
 * A batch of one repository's events in one activity. First Harbor is read, once per digest: it
 * is the reference, so every event of a digest converges on the same view, whatever their order.
 * Then one transaction makes the catalogue match those views, writes pushed images' metadata,
 * records one audit row per event and marks the inbox rows processed. A retried batch reads
 * Harbor again and converges; nothing is half-applied.
 */
export function createRepositoryBatchActivities(deps: { db: Db; harbor: HarborInstances }, harbor: HarborReads) {
  return {
    async applyRepositoryEvents(input: RepositoryBatchInput): Promise<AppliedChange[]> {
      const fullName = `${input.project}/${input.repository}`;
      const resource = `models/${input.registry}/${fullName}`;
      // Harbor reports the service's own manifest reads (each import) as pulls: they are not usage.
      const serviceAccount = deps.harbor.get(input.registry).username;
      const artifactEvents = input.events.filter((e) => e.digest && ARTIFACT_EVENTS.has(e.type));
      const pushed = new Set(artifactEvents.filter((e) => e.type === 'PUSH_ARTIFACT').map((e) => e.digest!));

      const views = new Map<string, HarborView>();
      await forEachLimited([...new Set(artifactEvents.map((e) => e.digest!))], READ_CONCURRENCY, async (digest) => {
        // A pushed digest's manifest is read alongside the artifact (a manifest by digest never changes).
        const [found, manifest] = await Promise.all([
          harbor.fetchHarborArtifact(input.registry, input.project, input.repository, digest),
          pushed.has(digest) ? manifestOrGone(harbor, input, digest) : undefined,
        ]);
        if (!found) views.set(digest, { artifact: null });
        else {
          const { modelConfig, ...artifact } = found;
          // A manifest gone while the artifact was read: deleted in between, and its DELETE event follows.
          if (manifest === null) views.set(digest, { artifact: null });
          else if (manifest === undefined) views.set(digest, { artifact });
          // Harbor copied a model's config into the artifact at push time: the config blob is read only when it did not.
          else views.set(digest, { artifact, manifest: { manifest, config: modelConfig ?? (await harbor.fetchArtifactConfig(input.registry, input.project, input.repository, manifest)) } });
        }
        // A worker that dies mid-batch is noticed in seconds, not at the start-to-close timeout.
        heartbeat();
      });

      heartbeat();
      return deps.db.transaction(async (tx) => {
        const audit: (typeof auditEvents.$inferInsert)[] = [];
        const changes: AppliedChange[] = [];
        const written: ImageMetadata[] = [];
        // Only an artifact Harbor has makes a model: deletes of what the catalogue never had leave no empty one.
        const anyPresent = [...views.values()].some((v) => v.artifact);
        const live = views.size === 0 ? null : anyPresent ? await liveRepository(tx, input.projectId, input.registry, { fullName, harborId: null, description: '' }) : await existingLiveRepository(tx, input.projectId, fullName);
        const applied = live
          ? await reconcileArtifactsIn(tx, { repositoryId: live.repository.id, modelId: live.model.id }, new Map([...views].map(([d, v]) => [d, v.artifact])))
          : new Map([...views.keys()].map((d): [string, { change: ArtifactChange; imageId?: string }] => [d, { change: 'unchanged' }]));
        const keyOf = (event: RepositoryEvent) => `webhook:${event.inboxId}:${event.digest}`;
        // A retry of a batch whose commit's answer was lost finds everything unchanged: the changes its
        // audit rows recorded are the ones to report (their events were never published). Only a retry:
        // a first attempt that finds them is a delivery applied before (the sweeper's), already announced.
        const retry = activityInfo().attempt > 1;
        const keys = retry ? input.events.filter((e) => e.digest && ARTIFACT_EVENTS.has(e.type)).map(keyOf) : [];
        const recorded = new Map(
          keys.length === 0
            ? []
            : (await tx.select({ key: auditEvents.eventKey, details: auditEvents.details }).from(auditEvents).where(inArray(auditEvents.eventKey, keys))).map((r) => [r.key, (r.details as { change?: ArtifactChange }).change]),
        );
        // Each digest changes once, whatever the number of its events: later events find it unchanged.
        const reported = new Set<string>();
        for (const event of input.events) {
          if (!event.digest) continue;
          const details = { digest: event.digest, tag: event.tag ?? null, occurAt: event.occurAt };
          const eventKey = keyOf(event);
          if (event.type === 'PULL_ARTIFACT') {
            if (event.operator !== serviceAccount) audit.push({ eventKey, actor: event.operator ?? null, action: 'model.pulled', resource, details });
            continue;
          }
          if (!ARTIFACT_EVENTS.has(event.type)) continue;
          const view = views.get(event.digest)!;
          const { imageId, change: appliedChange } = applied.get(event.digest)!;
          const now = reported.has(event.digest) ? 'unchanged' : appliedChange;
          // What this attempt changed wins (Harbor may have moved on since the lost commit).
          const change = now === 'unchanged' ? (recorded.get(eventKey) ?? now) : now;
          reported.add(event.digest);
          audit.push({ eventKey, actor: event.operator ?? null, action: `model.${event.type.toLowerCase()}`, resource, details: { ...details, change } });
          if (event.type === 'PUSH_ARTIFACT' && view.artifact && view.manifest && imageId) {
            written.push({ imageId, tag: view.artifact.tags[0]?.name ?? '', manifest: view.manifest.manifest, meta: extractModelMetadata(view.manifest.manifest, view.manifest.config) });
          }
          changes.push({ digest: event.digest, change, tags: view.artifact?.tags.map((t) => t.name) ?? [], eventId: nameUuid(`${eventKey}:${change}`) });
        }
        // Versions no event named that the batch changed: those a pushed version took a tag from. Each
        // is audited under the batch's first event, so that a retry after a lost commit reports it too.
        const named = new Set(input.events.map((e) => e.digest));
        const tookFrom = [...applied].filter(([digest, a]) => !named.has(digest) && a.change !== 'unchanged' && a.imageId);
        const cause = `${keyOf(input.events[0]!)}:took:`;
        const tookBefore = retry
          ? (await tx.select({ details: auditEvents.details }).from(auditEvents).where(like(auditEvents.eventKey, `${cause}%`))).map((r) => r.details as { digest: string; change: ArtifactChange; tags: string[] })
          : [];
        const left = tookFrom.length === 0 ? [] : await tx.select({ imageId: tags.imageId, name: tags.name }).from(tags).where(and(inArray(tags.imageId, tookFrom.map(([, a]) => a.imageId!)), eq(tags.isArchived, false)));
        const took = new Map(tookBefore.map((t) => [t.digest, t]));
        for (const [digest, a] of tookFrom) {
          const now = { digest, change: a.change, tags: left.filter((t) => t.imageId === a.imageId).map((t) => t.name) };
          took.set(digest, now);
          audit.push({ eventKey: `${cause}${digest}`, actor: null, action: 'model.tag_moved', resource, details: now });
        }
        for (const t of took.values()) if (!changes.some((c) => c.digest === t.digest)) changes.push({ ...t, eventId: nameUuid(`${cause}${t.digest}:${t.change}`) });
        // Different tables, pipelined on the transaction's connection.
        await Promise.all([
          live && written.length > 0 ? writeImagesMetadata(tx, live.model.id, written) : undefined,
          audit.length > 0 ? tx.insert(auditEvents).values(audit).onConflictDoNothing({ target: auditEvents.eventKey }) : undefined,
          markProcessed(tx, input.events.map((e) => e.inboxId)),
        ]);
        return changes;
      });
    },
  };
}
