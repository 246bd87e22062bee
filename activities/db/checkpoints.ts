import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { liveCheckpointWhere, toCheckpointRecord, type CheckpointRecord } from '../../db/queries/checkpoints';
import { findLiveVersion } from '../../db/queries/versions';
import { checkpoints } from '../../db/schema';
import type { CheckpointCreate, CheckpointPatch, VersionRef } from '../../lib/checkpoints';
import { conflict, notFound } from '../../lib/failure-types';
import { archivedByAnEarlierAttempt } from './earlier-attempt';

const UNIQUE_VIOLATION = '23505';

/** The live version (tag) of a live model, or NotFound. */
async function version(tx: Tx, ref: VersionRef) {
  const row = await findLiveVersion(tx, ref);
  if (!row) throw notFound(`no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`);
  return row;
}


/** Checkpoint rows, written by the checkpoint workflows; each write is one transaction. */
export function createCheckpointActivities({ db }: { db: Db }) {
  return {
    /** Idempotent for the same request: a retry that finds its own row (same URI) returns it. */
    async createCheckpoint(ref: VersionRef, input: CheckpointCreate): Promise<CheckpointRecord> {
      return db.transaction(async (tx) => {
        const v = await version(tx, ref);
        const [existing] = await tx.select().from(checkpoints).where(liveCheckpointWhere(v.modelId, ref.tag, input.name));
        if (existing) {
          if (existing.uri === input.uri) return toCheckpointRecord(existing);
          throw conflict(`version "${ref.tag}" already has a checkpoint "${input.name}"`);
        }
        try {
          const [row] = await tx.insert(checkpoints).values({ modelId: v.modelId, imageId: v.imageId, tag: ref.tag, ...input }).returning();
          return toCheckpointRecord(row!);
        } catch (err) {
          if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`version "${ref.tag}" already has a checkpoint "${input.name}"`);
          throw err;
        }
      });
    },

    async updateCheckpoint(ref: VersionRef, name: string, patch: CheckpointPatch): Promise<CheckpointRecord> {
      return db.transaction(async (tx) => {
        const v = await version(tx, ref);
        const [row] = await tx.update(checkpoints).set({ ...patch, updatedAt: sql`now()` }).where(liveCheckpointWhere(v.modelId, ref.tag, name)).returning();
        if (!row) throw notFound(`version "${ref.tag}" of "${ref.project}/${ref.model}" has no checkpoint "${name}"`);
        return toCheckpointRecord(row);
      });
    },

    async archiveCheckpoint(ref: VersionRef, name: string): Promise<CheckpointRecord> {
      return db.transaction(async (tx) => {
        const v = await version(tx, ref);
        const [row] = await tx.update(checkpoints).set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` }).where(liveCheckpointWhere(v.modelId, ref.tag, name)).returning();
        if (row) return toCheckpointRecord(row);
        const archived = await archivedByAnEarlierAttempt(tx, checkpoints, and(eq(checkpoints.modelId, v.modelId), eq(checkpoints.tag, ref.tag), eq(checkpoints.name, name)));
        if (!archived) throw notFound(`version "${ref.tag}" of "${ref.project}/${ref.model}" has no checkpoint "${name}"`);
        return toCheckpointRecord(archived);
      });
    },
  };
}
