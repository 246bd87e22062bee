import { and, eq } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { images, manifests, metadata, models, projects, tags } from '../schema';
import type { VersionRef } from '../../lib/checkpoints';
import { liveProjectWhere } from './projects';

/** A live version (tag) of a live model of a live project: the one lookup routes and activities share. */
export async function findLiveVersion(db: Db | Tx, ref: VersionRef): Promise<{ modelId: string; imageId: string; digest: string } | null> {
  const [row] = await db
    .select({ modelId: models.id, imageId: images.id, digest: images.digest })
    .from(tags)
    .innerJoin(images, eq(images.id, tags.imageId))
    .innerJoin(models, eq(models.id, images.modelId))
    .innerJoin(projects, eq(projects.id, models.projectId))
    .where(
      and(
        liveProjectWhere(ref.registry, ref.project),
        eq(models.name, ref.model),
        eq(models.isArchived, false),
        eq(tags.name, ref.tag),
        eq(tags.isArchived, false),
        eq(images.isArchived, false),
      ),
    )
    .limit(1);
  return row ?? null;
}

/** One node of an image's metadata tree (runtime, layers, datasets, labels). */
export interface MetadataNode {
  name: string;
  value: string | null;
  children: MetadataNode[];
}

/** What an image holds: its manifest (null when none was recorded) and its metadata as a tree. */
export async function imageContent(db: Db, imageId: string): Promise<{ manifest: unknown; metadata: MetadataNode[] }> {
  const [manifest] = await db.select({ content: manifests.content }).from(manifests).where(eq(manifests.imageId, imageId)).limit(1);
  const rows = await db.select().from(metadata).where(eq(metadata.imageId, imageId));
  const nodes = new Map(rows.map((r) => [r.id, { name: r.name, value: r.value, children: [] as MetadataNode[] }]));
  const roots: MetadataNode[] = [];
  for (const r of rows) (r.parentId ? nodes.get(r.parentId)?.children : roots)?.push(nodes.get(r.id)!);
  return { manifest: manifest ? (JSON.parse(manifest.content) as unknown) : null, metadata: roots };
}
