import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { images, manifests, models, repositories } from '../../db/schema';
import { imageRowWrites, type ImageMetadata } from './model-metadata';

/** A live image whose manifest the catalogue has not stored. */
export interface ImageWithoutManifest {
  imageId: string;
  modelId: string;
  /** `project/model` as Harbor names it. */
  fullName: string;
  digest: string;
}

/** The live images of the project's repositories `fullNames` with no stored manifest. */
export async function imagesWithoutManifest(db: Db, projectId: string, fullNames: string[]): Promise<ImageWithoutManifest[]> {
  if (fullNames.length === 0) return [];
  return db
    .select({ imageId: images.id, modelId: images.modelId, fullName: repositories.fullName, digest: images.digest })
    .from(images)
    .innerJoin(repositories, eq(repositories.id, images.repositoryId))
    .leftJoin(manifests, and(eq(manifests.imageId, images.id), eq(manifests.isArchived, false)))
    .where(and(eq(repositories.projectId, projectId), inArray(repositories.fullName, fullNames), eq(repositories.isArchived, false), eq(images.isArchived, false), isNull(manifests.id)));
}

/**
 * Stores manifests a refresh read, per model under the lock a push's import takes, and only for
 * images that still have none: a push's import that landed meanwhile has the same manifest (a
 * digest's never changes) with its pull times, and wins.
 */
export async function writeReadManifests(db: Db, entries: ImageMetadata[], modelOf: Map<string, string>): Promise<void> {
  const byModel = new Map<string, ImageMetadata[]>();
  for (const e of entries) {
    const modelId = modelOf.get(e.imageId)!;
    byModel.set(modelId, [...(byModel.get(modelId) ?? []), e]);
  }
  for (const [modelId, list] of byModel) {
    await db.transaction(async (tx) => {
      await tx.execute(sql`select 1 from ${models} where ${models.id} = ${modelId} for update`);
      const stored = await tx.select({ imageId: manifests.imageId }).from(manifests).where(and(inArray(manifests.imageId, list.map((e) => e.imageId)), eq(manifests.isArchived, false)));
      const missing = list.filter((e) => !stored.some((s) => s.imageId === e.imageId));
      if (missing.length > 0) await Promise.all(imageRowWrites(tx, modelId, missing));
    });
  }
}
