import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { images, models, repositories, signatures, tags, validationResults, webhookEvents } from '../../db/schema';

export interface ImportedScan {
  reportId: string;
  scanner: string | null;
  status: string;
  severity: string | null;
  summary: string | null;
  startTime: string | null;
  endTime: string | null;
}

export interface ImportedSignature {
  digest: string;
  harborId: number;
  /** Harbor's accessory type, e.g. `signature.cosign`. */
  type: string;
}

export interface ImportedArtifact {
  digest: string;
  harborId: number;
  tags: { name: string; harborId: number }[];
  scans?: ImportedScan[];
  signatures?: ImportedSignature[];
}

/** signature_types and validation_statuses rows (migration 0001). */
const SIGNATURE_TYPE_IDS: Record<string, number> = { 'signature.cosign': 1, 'signature.notation': 2 };
const SCAN_STATUS_IDS: Record<string, number> = { Pending: 0, Running: 1, Success: 2, Error: 3, Stopped: 4 };

export interface ImportedRepository {
  /** `project/model` as Harbor names it. */
  fullName: string;
  harborId: number;
  description: string;
  artifacts: ImportedArtifact[];
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Counts = { models: number; images: number; tags: number };

async function liveRepository(tx: Tx, projectId: string, registry: string, repo: { fullName: string; harborId: number | null; description: string }) {
  const [namespace, ...rest] = repo.fullName.split('/');
  const name = rest.join('/');
  let [repository] = await tx
    .select()
    .from(repositories)
    .where(and(eq(repositories.projectId, projectId), eq(repositories.name, name), eq(repositories.isArchived, false)))
    .limit(1)
    // A refresh and the repository's own events may reconcile it at once: one at a time, or both
    // would insert the same image or tag (the reads above the inserts are not locks).
    .for('update');
  repository ??= (
    await tx.insert(repositories).values({ name, namespace: namespace!, fullName: repo.fullName, harborId: repo.harborId, projectId, harborAddress: registry }).returning()
  )[0]!;
  let [model] = await tx.select().from(models).where(and(eq(models.repositoryId, repository.id), eq(models.isArchived, false))).limit(1);
  let createdModel = false;
  if (!model) {
    [model] = await tx.insert(models).values({ name, description: repo.description || null, projectId, repositoryId: repository.id }).returning();
    createdModel = true;
  }
  return { repository, model: model!, createdModel };
}

/**
 * Makes one artifact's image and tags match Harbor: adds what is missing; with `exactTags`
 * archives tags Harbor no longer has. Returns what it added.
 */
async function upsertArtifact(tx: Tx, ids: { repositoryId: string; modelId: string }, artifact: ImportedArtifact, exactTags: boolean): Promise<Counts> {
  const counts = { models: 0, images: 0, tags: 0 };
  let [image] = await tx
    .select()
    .from(images)
    .where(and(eq(images.repositoryId, ids.repositoryId), eq(images.digest, artifact.digest), eq(images.isArchived, false)))
    .limit(1);
  if (!image) {
    [image] = await tx.insert(images).values({ digest: artifact.digest, harborId: artifact.harborId, modelId: ids.modelId, repositoryId: ids.repositoryId }).returning();
    counts.images++;
  }
  const existing = await tx.select({ id: tags.id, name: tags.name }).from(tags).where(and(eq(tags.imageId, image!.id), eq(tags.isArchived, false)));
  const wanted = new Set(artifact.tags.map((t) => t.name));
  for (const tag of artifact.tags.filter((t) => !existing.some((e) => e.name === t.name))) {
    await tx.insert(tags).values({ name: tag.name, harborId: tag.harborId, imageId: image!.id });
    counts.tags++;
  }
  const gone = existing.filter((e) => !wanted.has(e.name)).map((e) => e.id);
  if (exactTags && gone.length > 0) await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(inArray(tags.id, gone));

  // Scan reports, one row per Harbor report id.
  const firstTag = artifact.tags[0]?.name ?? '';
  for (const scan of artifact.scans ?? []) {
    const [known] = await tx.select({ id: validationResults.id }).from(validationResults).where(and(eq(validationResults.imageId, image!.id), eq(validationResults.reportRef, scan.reportId))).limit(1);
    const values = {
      scannerName: scan.scanner,
      scanStatus: scan.status,
      scanSeverity: scan.severity,
      scanSummary: scan.summary,
      scanType: 'vulnerability',
      startTime: scan.startTime,
      endTime: scan.endTime,
      statusId: SCAN_STATUS_IDS[scan.status] ?? 0,
    };
    if (known) await tx.update(validationResults).set(values).where(eq(validationResults.id, known.id));
    else await tx.insert(validationResults).values({ ...values, repositoryId: ids.repositoryId, imageId: image!.id, tag: firstTag, reportRef: scan.reportId });
  }
  // Signatures (Harbor accessories), one row per signature digest; a signed image is verified.
  let signed = false;
  for (const signature of artifact.signatures ?? []) {
    const typeId = SIGNATURE_TYPE_IDS[signature.type];
    if (typeId === undefined) continue;
    signed = true;
    const [known] = await tx.select({ id: signatures.id }).from(signatures).where(and(eq(signatures.imageId, image!.id), eq(signatures.digest, signature.digest))).limit(1);
    if (!known) {
      await tx.insert(signatures).values({ digest: signature.digest, typeId, harborId: signature.harborId, imageId: image!.id, repositoryId: ids.repositoryId, artifactDigest: artifact.digest, artifactId: artifact.harborId });
    }
  }
  if (signed && !image!.isVerified) await tx.update(images).set({ isVerified: true }).where(eq(images.id, image!.id));
  return counts;
}

/**
 * Writes what Harbor holds into the catalogue: a repository is a model, an artifact an image,
 * its tags versions. Adds what is missing and leaves existing rows; run again, nothing changes.
 */
export function createCatalogueImportActivities({ db }: { db: Db }) {
  return {
    async importHarborRepositories(input: { projectId: string; registry: string; repositories: ImportedRepository[] }): Promise<Counts> {
      const counts = { models: 0, images: 0, tags: 0 };
      await db.transaction(async (tx) => {
        for (const repo of input.repositories) {
          const { repository, model, createdModel } = await liveRepository(tx, input.projectId, input.registry, repo);
          if (createdModel) counts.models++;
          for (const artifact of repo.artifacts) {
            const added = await upsertArtifact(tx, { repositoryId: repository.id, modelId: model.id }, artifact, false);
            counts.images += added.images;
            counts.tags += added.tags;
          }
        }
      });
      return counts;
    },

    /**
     * Converges one artifact of one repository on what Harbor says now: present → image and tags
     * as Harbor has them; absent → image and its tags archived, the model too when no image is
     * left. Harbor is the reference, so duplicated or reordered events end in the same state.
     */
    async reconcileArtifact(input: { projectId: string; registry: string; fullName: string; digest: string; artifact: ImportedArtifact | null }): Promise<'added' | 'updated' | 'archived' | 'unchanged'> {
      return db.transaction(async (tx) => {
        const { repository, model } = await liveRepository(tx, input.projectId, input.registry, { fullName: input.fullName, harborId: null, description: '' });
        if (input.artifact) {
          const added = await upsertArtifact(tx, { repositoryId: repository.id, modelId: model.id }, input.artifact, true);
          return added.images > 0 ? 'added' : added.tags > 0 ? 'updated' : 'unchanged';
        }
        const archived = await tx
          .update(images)
          .set({ isArchived: true, deletedAt: sql`now()` })
          .where(and(eq(images.repositoryId, repository.id), eq(images.digest, input.digest), eq(images.isArchived, false)))
          .returning({ id: images.id });
        if (archived.length === 0) return 'unchanged';
        await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(and(inArray(tags.imageId, archived.map((a) => a.id)), eq(tags.isArchived, false)));
        const [left] = await tx.select({ n: sql<number>`count(*)::int` }).from(images).where(and(eq(images.modelId, model.id), eq(images.isArchived, false)));
        if (!left || left.n === 0) await tx.update(models).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(models.id, model.id));
        return 'archived';
      });
    },

    /**
     * Converges one repository on Harbor's full list of its artifacts: adds and re-tags what is
     * listed, archives live images Harbor no longer has (repairing lost webhooks).
     */
    async reconcileRepository(input: { projectId: string; registry: string; repository: ImportedRepository }): Promise<{ added: number; updated: number; archived: number }> {
      return db.transaction(async (tx) => {
        const { repository, model } = await liveRepository(tx, input.projectId, input.registry, input.repository);
        const result = { added: 0, updated: 0, archived: 0 };
        for (const artifact of input.repository.artifacts) {
          const added = await upsertArtifact(tx, { repositoryId: repository.id, modelId: model.id }, artifact, true);
          if (added.images > 0) result.added++;
          else if (added.tags > 0) result.updated++;
        }
        const listed = new Set(input.repository.artifacts.map((a) => a.digest));
        const live = await tx.select({ id: images.id, digest: images.digest }).from(images).where(and(eq(images.repositoryId, repository.id), eq(images.isArchived, false)));
        const gone = live.filter((i) => !listed.has(i.digest)).map((i) => i.id);
        if (gone.length > 0) {
          await tx.update(images).set({ isArchived: true, deletedAt: sql`now()` }).where(inArray(images.id, gone));
          await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(and(inArray(tags.imageId, gone), eq(tags.isArchived, false)));
          result.archived = gone.length;
        }
        if (listed.size === 0) await tx.update(models).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(models.id, model.id));
        return result;
      });
    },

    async markWebhookEventsProcessed(ids: string[]): Promise<void> {
      if (ids.length > 0) await db.update(webhookEvents).set({ status: 'processed' }).where(inArray(webhookEvents.id, ids));
    },
  };
}
