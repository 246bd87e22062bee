import { ApplicationFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { images, manifests, metadata, modelOverrides, models, modelTypes, projects, repositories } from '../../db/schema';
import { extractModelMetadata, modelTypeCode, type OciManifest } from '../../lib/model-metadata';

export interface ModelUpdate {
  registry: string;
  project: string;
  model: string;
  description?: string;
  labels?: string[];
  customMetadata?: Record<string, string>;
}

/**
 * Writes what an artifact's manifest and config say into the catalogue: the model's descriptive
 * columns, the image's manifest row, and its metadata tree (replaced as a whole, so re-running
 * converges). Runtime requirements and dataset references are metadata rows.
 */
export function createModelMetadataActivities({ db }: { db: Db }) {
  return {
    async modelExists(registry: string, project: string, model: string): Promise<boolean> {
      const [row] = await db
        .select({ id: models.id })
        .from(models)
        .innerJoin(projects, eq(projects.id, models.projectId))
        .where(and(eq(projects.harborAddress, registry), eq(projects.name, project), eq(projects.isArchived, false), eq(models.name, model), eq(models.isArchived, false)))
        .limit(1);
      return row !== undefined;
    },

    /**
     * A user's change of a model (PATCH): kept in model_overrides so that later pushes and
     * refreshes do not undo it, and applied to the model row the catalogue reads.
     */
    async applyModelUpdate(input: ModelUpdate): Promise<{ modelId: string }> {
      return db.transaction(async (tx) => {
        const [model] = await tx
          .select({ id: models.id })
          .from(models)
          .innerJoin(projects, eq(projects.id, models.projectId))
          .where(and(eq(projects.harborAddress, input.registry), eq(projects.name, input.project), eq(projects.isArchived, false), eq(models.name, input.model), eq(models.isArchived, false)))
          .for('update')
          .limit(1);
        if (!model) throw ApplicationFailure.create({ type: 'NotFound', message: `no model "${input.project}/${input.model}" in ${input.registry}`, nonRetryable: true });
        const changes = {
          ...(input.description !== undefined ? { description: input.description } : {}),
          ...(input.labels !== undefined ? { labels: input.labels } : {}),
          ...(input.customMetadata !== undefined ? { customMetadata: input.customMetadata } : {}),
        };
        await tx
          .insert(modelOverrides)
          .values({ modelId: model.id, ...changes })
          .onConflictDoUpdate({ target: modelOverrides.modelId, set: { ...changes, updatedAt: sql`now()` } });
        const columns = { ...(input.description !== undefined ? { description: input.description } : {}), ...(input.labels !== undefined ? { tags: input.labels } : {}) };
        if (Object.keys(columns).length > 0) await tx.update(models).set(columns).where(eq(models.id, model.id));
        return { modelId: model.id };
      });
    },

    async recordArtifactMetadata(input: { projectId: string; fullName: string; digest: string; tag: string; manifest: OciManifest; config: unknown }): Promise<boolean> {
      const meta = extractModelMetadata(input.manifest, input.config);
      const name = input.fullName.split('/').slice(1).join('/');
      return db.transaction(async (tx) => {
        const [row] = await tx
          .select({ imageId: images.id, modelId: images.modelId })
          .from(images)
          .innerJoin(repositories, eq(repositories.id, images.repositoryId))
          .where(and(eq(repositories.projectId, input.projectId), eq(repositories.name, name), eq(images.digest, input.digest), eq(images.isArchived, false)))
          .limit(1);
        if (!row) return false;
        // Serialises with a user's PATCH of the same model, whose values win (model_overrides).
        await tx.execute(sql`select 1 from ${models} where ${models.id} = ${row.modelId} for update`);
        const [override] = await tx.select().from(modelOverrides).where(eq(modelOverrides.modelId, row.modelId));
        const [type] = await tx.select({ id: modelTypes.id }).from(modelTypes).where(eq(modelTypes.code, modelTypeCode(meta.capabilities))).limit(1);
        await tx
          .update(models)
          .set({
            typeId: type?.id ?? 0,
            displayName: meta.title,
            author: meta.authors,
            organization: meta.vendor,
            license: meta.licenses,
            url: meta.source,
            // A malformed date would fail the write on every retry: kept out instead.
            creationDate: meta.created && Number.isFinite(Date.parse(meta.created)) ? meta.created : null,
            tags: override?.labels ?? Object.entries(meta.labels).map(([k, v]) => `${k}=${v}`),
            ...(meta.description && override?.description == null ? { description: meta.description } : {}),
          })
          .where(eq(models.id, row.modelId));
        await tx.delete(manifests).where(eq(manifests.imageId, row.imageId));
        await tx.insert(manifests).values({ imageId: row.imageId, tag: input.tag, content: JSON.stringify(input.manifest) });
        await tx.delete(metadata).where(eq(metadata.imageId, row.imageId));
        const add = async (n: string, value: string | null, parentId: string | null = null) => {
          const [created] = await tx.insert(metadata).values({ name: n, value, modelId: row.modelId, imageId: row.imageId, parentId }).returning({ id: metadata.id });
          return created!.id;
        };
        const runtime = await add('runtime', null);
        for (const [key, value] of [['family', meta.family], ['architecture', meta.architecture], ['format', meta.format], ['paramSize', meta.paramSize], ['precision', meta.precision]] as const) {
          if (value) await add(key, value, runtime);
        }
        if (meta.capabilities) await add('capabilities', JSON.stringify(meta.capabilities), runtime);
        for (const layer of meta.layers) {
          const id = await add(layer.kind === 'dataset' ? 'dataset' : 'layer', layer.filepath, null);
          await add('mediaType', layer.mediaType, id);
          await add('digest', layer.digest, id);
          await add('size', String(layer.size), id);
        }
        for (const [key, value] of Object.entries(meta.labels)) await add(`label:${key}`, value);
        return true;
      });
    },
  };
}
