import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from './client';
import { webhookEvents } from './schema';

/**
 * The webhook inbox, the one table the API writes (DESIGN: a delivery is durable before Harbor
 * gets its 2xx). Returns the row and whether this delivery was new.
 */
export async function storeDelivery(
  db: Db,
  row: { source: string; dedupeKey: string; eventType: string | null; payload: unknown; rawBody: string | null; status: string; error?: string },
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
