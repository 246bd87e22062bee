import { randomUUID } from 'node:crypto';
import { eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { findLiveModelRow } from '../../db/queries/models';
import { manifests, metadata, modelOverrides, models, modelTypes } from '../../db/schema';
import { modelTypeCode, type ModelMetadata, type OciManifest } from '../../lib/model-metadata';
import { notFound } from '../../lib/failure-types';

export interface ModelUpdate {
  registry: string;
  project: string;
  model: string;
  description?: string;
  labels?: string[];
  customMetadata?: Record<string, string>;
}

export interface ImageMetadata {
  imageId: string;
  tag: string;
  manifest: OciManifest;
  meta: ModelMetadata;
  /** A refresh's read of an already pushed artifact (see the `manifests` columns); absent for a push. */
  read?: { at: string; pulledBefore: string | null };
}

/** A `metadata` row as the INSERT below reads it from JSON (column names). */
interface MetadataRow {
  id: string;
  name: string;
  value: string | null;
  model_id: string;
  image_id: string;
  parent_id: string | null;
}

/** An image's metadata tree as rows, parents first, their ids chosen here so one INSERT writes the tree. */
export function metadataRows(meta: ModelMetadata, ids: { modelId: string; imageId: string }): MetadataRow[] {
  const rows: MetadataRow[] = [];
  const add = (name: string, value: string | null, parentId: string | null = null) => {
    const id = randomUUID();
    rows.push({ id, name, value, model_id: ids.modelId, image_id: ids.imageId, parent_id: parentId });
    return id;
  };
  const runtime = add('runtime', null);
  for (const [key, value] of [['family', meta.family], ['architecture', meta.architecture], ['format', meta.format], ['paramSize', meta.paramSize], ['precision', meta.precision]] as const) {
    if (value) add(key, value, runtime);
  }
  if (meta.capabilities) add('capabilities', JSON.stringify(meta.capabilities), runtime);
  for (const layer of meta.layers) {
    const id = add(layer.kind === 'dataset' ? 'dataset' : 'layer', layer.filepath, null);
    add('mediaType', layer.mediaType, id);
    add('digest', layer.digest, id);
    add('size', String(layer.size), id);
  }
  for (const [key, value] of Object.entries(meta.labels)) add(`label:${key}`, value);
  return rows;
}

/**
 * Writes what artifacts' manifests and configs say into the catalogue, inside the caller's
 * transaction: the model's descriptive columns (the last artifact's, as if applied one by one), each
 * image's manifest row and metadata tree (replaced as a whole, so re-running converges). Runtime
 * requirements and dataset references are metadata rows.
 */
export async function writeImagesMetadata(tx: Tx, modelId: string, entries: ImageMetadata[]): Promise<void> {
  if (entries.length === 0) return;
  // Statements issued together are pipelined on the transaction's connection and run in issue
  // order: the lock (serialising with a user's PATCH, whose values win) comes before the reads.
  const [, [override], types] = await Promise.all([
    tx.execute(sql`select 1 from ${models} where ${models.id} = ${modelId} for update`),
    tx.select().from(modelOverrides).where(eq(modelOverrides.modelId, modelId)),
    tx.select({ id: modelTypes.id, code: modelTypes.code }).from(modelTypes),
  ]);
  const typeIds = new Map(types.map((t) => [t.code, t.id]));
  let columns: Partial<typeof models.$inferInsert> = {};
  for (const { meta } of entries) {
    columns = {
      ...columns,
      typeId: typeIds.get(modelTypeCode(meta.capabilities)) ?? 0,
      displayName: meta.title,
      author: meta.authors,
      organization: meta.vendor,
      license: meta.licenses,
      url: meta.source,
      // A malformed date would fail the write on every retry: kept out instead.
      creationDate: meta.created && Number.isFinite(Date.parse(meta.created)) ? meta.created : null,
      tags: override?.labels ?? Object.entries(meta.labels).map(([k, v]) => `${k}=${v}`),
      ...(meta.description && override?.description == null ? { description: meta.description } : {}),
    };
  }
  await Promise.all([tx.update(models).set(columns).where(eq(models.id, modelId)), ...imageRowWrites(tx, modelId, entries)]);
}

/**
 * Each image's manifest row and metadata tree, replaced as a whole, as statements issued at once
 * (pipelined on the transaction's connection; each delete still runs before the insert that
 * replaces its rows).
 */
export function imageRowWrites(tx: Tx, modelId: string, entries: ImageMetadata[]): Promise<unknown>[] {
  // One image pushed twice in a batch: its last manifest counts.
  const byImage = [...new Map(entries.map((e) => [e.imageId, e])).values()];
  const imageIds = byImage.map((e) => e.imageId);
  // One JSON parameter instead of six per row: building a many-row INSERT costs more than running it.
  const rows = byImage.flatMap((e) => metadataRows(e.meta, { modelId, imageId: e.imageId }));
  return [
    tx.delete(manifests).where(inArray(manifests.imageId, imageIds)),
    tx.insert(manifests).values(byImage.map((e) => ({ imageId: e.imageId, tag: e.tag, content: JSON.stringify(e.manifest), readAt: e.read?.at ?? null, pulledBefore: e.read?.pulledBefore ?? null }))),
    tx.delete(metadata).where(inArray(metadata.imageId, imageIds)),
    tx.execute(sql`
      insert into ${metadata} (id, name, value, model_id, image_id, parent_id)
      select id, name, value, model_id, image_id, parent_id
      from json_to_recordset(${JSON.stringify(rows)}::json) as r(id uuid, name varchar, value varchar, model_id uuid, image_id uuid, parent_id uuid)`),
  ];
}

/** The catalogue's model metadata: what pushes extract, and what users change (PATCH). */
export function createModelMetadataActivities({ db }: { db: Db }) {
  return {
    async modelExists(registry: string, project: string, model: string): Promise<boolean> {
      return (await findLiveModelRow(db, { registry, project, model })) !== null;
    },

    /**
     * A user's change of a model (PATCH): kept in model_overrides so that later pushes and
     * refreshes do not undo it, and applied to the model row the catalogue reads.
     */
    async applyModelUpdate(input: ModelUpdate): Promise<{ modelId: string }> {
      return db.transaction(async (tx) => {
        const model = (await findLiveModelRow(tx, input, { forUpdate: true }))?.model;
        if (!model) throw notFound(`no model "${input.project}/${input.model}" in ${input.registry}`);
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

  };
}
