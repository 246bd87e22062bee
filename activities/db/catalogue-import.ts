import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { images, models, repositories, tags } from '../../db/schema';

export interface ImportedArtifact {
  digest: string;
  harborId: number;
  tags: { name: string; harborId: number }[];
}

export interface ImportedRepository {
  /** `project/model` as Harbor names it. */
  fullName: string;
  harborId: number;
  description: string;
  artifacts: ImportedArtifact[];
}

/**
 * Writes what Harbor holds for a project into the catalogue: a repository is a model, an
 * artifact an image, its tags versions. Adds what is missing and leaves existing rows; run it
 * again and nothing changes. (The model workflows of the catalogue issue refine this with
 * manifests and metadata.)
 */
export function createCatalogueImportActivities({ db }: { db: Db }) {
  return {
    async importHarborRepositories(input: { projectId: string; registry: string; repositories: ImportedRepository[] }): Promise<{ models: number; images: number; tags: number }> {
      const counts = { models: 0, images: 0, tags: 0 };
      await db.transaction(async (tx) => {
        for (const repo of input.repositories) {
          const [namespace, ...rest] = repo.fullName.split('/');
          const name = rest.join('/');
          let [repository] = await tx
            .select()
            .from(repositories)
            .where(and(eq(repositories.projectId, input.projectId), eq(repositories.name, name), eq(repositories.isArchived, false)))
            .limit(1);
          repository ??= (
            await tx
              .insert(repositories)
              .values({ name, namespace: namespace!, fullName: repo.fullName, harborId: repo.harborId, projectId: input.projectId, harborAddress: input.registry })
              .returning()
          )[0]!;
          let [model] = await tx.select().from(models).where(and(eq(models.repositoryId, repository.id), eq(models.isArchived, false))).limit(1);
          if (!model) {
            [model] = await tx.insert(models).values({ name, description: repo.description || null, projectId: input.projectId, repositoryId: repository.id }).returning();
            counts.models++;
          }
          for (const artifact of repo.artifacts) {
            let [image] = await tx.select().from(images).where(and(eq(images.repositoryId, repository.id), eq(images.digest, artifact.digest), eq(images.isArchived, false))).limit(1);
            if (!image) {
              [image] = await tx.insert(images).values({ digest: artifact.digest, harborId: artifact.harborId, modelId: model!.id, repositoryId: repository.id }).returning();
              counts.images++;
            }
            const existing = new Set((await tx.select({ name: tags.name }).from(tags).where(and(eq(tags.imageId, image!.id), eq(tags.isArchived, false)))).map((t) => t.name));
            for (const tag of artifact.tags.filter((t) => !existing.has(t.name))) {
              await tx.insert(tags).values({ name: tag.name, harborId: tag.harborId, imageId: image!.id });
              counts.tags++;
            }
          }
        }
      });
      return counts;
    },
  };
}
