import { createHash } from 'node:crypto';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { webhookEvents } from '../schema';

/** How much of a rejected body is kept for inspection; the rest is noted as truncated. */
export const KEPT_BODY_BYTES = 64 * 1024;
/** Invalid rows a project keeps; older ones are dropped as new ones arrive. */
export const INVALID_ROWS_PER_PROJECT = 100;

/**
 * The webhook inbox, the one table the API writes (DESIGN: a delivery is durable before Harbor
 * gets its 2xx). Returns the row and whether this delivery was new.
 */
export async function storeDelivery(
  db: Db,
  row: { source: string; projectId?: string; dedupeKey: string; eventType: string | null; payload: unknown; rawBody: string | null; status: string; error?: string },
): Promise<{ id: string; duplicate: boolean; dispatched: boolean }> {
  const [inserted] = await db
    .insert(webhookEvents)
    .values({ ...row, payload: row.payload ?? null })
    .onConflictDoNothing({ target: [webhookEvents.source, webhookEvents.dedupeKey] })
    .returning({ id: webhookEvents.id });
  if (inserted) return { id: inserted.id, duplicate: false, dispatched: false };
  const [existing] = await db
    .select({ id: webhookEvents.id, dispatchedAt: webhookEvents.dispatchedAt })
    .from(webhookEvents)
    .where(and(eq(webhookEvents.source, row.source), eq(webhookEvents.dedupeKey, row.dedupeKey)))
    .limit(1);
  return { id: existing!.id, duplicate: true, dispatched: existing!.dispatchedAt !== null };
}

/**
 * Keeps a rejected delivery of an authenticated sender for inspection: its first KEPT_BODY_BYTES
 * (the rest noted as truncated), deduplicated on the whole body, and only the project's newest
 * INVALID_ROWS_PER_PROJECT invalid rows, so that a misbehaving sender cannot fill the database.
 */
export async function storeInvalid(
  db: Db,
  row: { source: string; projectId: string; raw: string; error: string },
): Promise<{ id: string; duplicate: boolean }> {
  const bytes = Buffer.from(row.raw);
  const truncated = bytes.length > KEPT_BODY_BYTES;
  // PostgreSQL text holds no NUL; U+FFFD stands in for it (and for a character cut at the cap).
  const kept = (truncated ? bytes.subarray(0, KEPT_BODY_BYTES).toString() : row.raw).replaceAll('\0', '\uFFFD');
  const stored = await storeDelivery(db, {
    source: row.source,
    projectId: row.projectId,
    dedupeKey: `raw:${createHash('sha256').update(bytes).digest('hex')}`,
    eventType: null,
    payload: null,
    rawBody: kept,
    status: 'invalid',
    error: truncated ? `${row.error} (truncated: ${KEPT_BODY_BYTES} of ${bytes.length} bytes kept)` : row.error,
  });
  if (!stored.duplicate) {
    await db.delete(webhookEvents).where(
      inArray(
        webhookEvents.id,
        db
          .select({ id: webhookEvents.id })
          .from(webhookEvents)
          .where(and(eq(webhookEvents.projectId, row.projectId), eq(webhookEvents.status, 'invalid')))
          .orderBy(desc(webhookEvents.receivedAt), desc(webhookEvents.id))
          .offset(INVALID_ROWS_PER_PROJECT),
      ),
    );
  }
  return { id: stored.id, duplicate: stored.duplicate };
}

/** Marks rows whose events the catalogue has applied (in the applying transaction, when given one). */
export async function markProcessed(db: Db | Tx, ids: string[]): Promise<void> {
  if (ids.length > 0) await db.update(webhookEvents).set({ status: 'processed' }).where(inArray(webhookEvents.id, ids));
}

/**
 * Marks rows handed to Temporal (or needing no workflow), so the sweeper leaves them. A row the
 * workflow already applied (it can be quicker than this UPDATE) stays processed.
 */
export async function markDispatched(db: Db, ids: string[], status: string): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(webhookEvents)
    .set({ dispatchedAt: sql`now()`, status: sql`case when ${webhookEvents.status} = 'processed' then ${webhookEvents.status} else ${status} end` })
    .where(inArray(webhookEvents.id, ids));
}
