import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { checkpoints } from '../schema';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

export interface CheckpointRecord {
  id: string;
  name: string;
  tag: string;
  uri: string;
  format: string | null;
  framework: string | null;
  step: number | null;
  epoch: number | null;
  metrics: Record<string, number> | null;
  description: string | null;
  createdAt: string;
  updatedAt: string;
}

export const toCheckpointRecord = (row: typeof checkpoints.$inferSelect): CheckpointRecord => ({
  id: row.id,
  name: row.name,
  tag: row.tag,
  uri: row.uri,
  format: row.format,
  framework: row.framework,
  step: row.step,
  epoch: row.epoch,
  metrics: row.metrics,
  description: row.description,
  createdAt: isoTime(row.createdAt) ?? row.createdAt,
  updatedAt: isoTime(row.updatedAt) ?? row.updatedAt,
});

/** A version's live checkpoint of that name (inside the caller's transaction, when given one). */
export const liveCheckpointWhere = (modelId: string, tag: string, name: string) =>
  and(eq(checkpoints.modelId, modelId), eq(checkpoints.tag, tag), eq(checkpoints.name, name), eq(checkpoints.isArchived, false));

export async function findLiveCheckpoint(db: Db | Tx, version: { modelId: string; tag: string }, name: string): Promise<CheckpointRecord | null> {
  const [row] = await db.select().from(checkpoints).where(liveCheckpointWhere(version.modelId, version.tag, name)).limit(1);
  return row ? toCheckpointRecord(row) : null;
}

/** A version's live checkpoints by name, after the name `after`. */
export async function listCheckpoints(db: Db, version: { modelId: string; tag: string }, q: { after?: string; limit: number }): Promise<Page<CheckpointRecord>> {
  const rows = await db
    .select()
    .from(checkpoints)
    .where(and(eq(checkpoints.modelId, version.modelId), eq(checkpoints.tag, version.tag), eq(checkpoints.isArchived, false), q.after === undefined ? undefined : gt(checkpoints.name, q.after)))
    .orderBy(asc(checkpoints.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toCheckpointRecord);
}
