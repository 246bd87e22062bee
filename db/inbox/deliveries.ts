import { createHash } from 'node:crypto';
import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { webhookEvents } from '../schema';

/** How much of a rejected body is kept for inspection; the rest is noted as truncated. */
export const KEPT_BODY_BYTES = 64 * 1024;
/** Invalid rows a project keeps; older ones are dropped as new ones arrive. */
export const INVALID_ROWS_PER_PROJECT = 100;

/**
 * A delivery for the inbox. `settled`: it needs no workflow, so it is stored as already handed over
 * (its `dispatched_at` set in the same statement), and the sweeper leaves it.
 */
export interface DeliveryRow {
  source: string;
  projectId?: string;
  dedupeKey: string;
  eventType: string | null;
  payload: unknown;
  rawBody: string | null;
  status: string;
  error?: string;
  settled?: boolean;
}

/** A stored delivery: its row, whether this delivery was a repeat, and whether the row was handed over already. */
export interface StoredDelivery {
  id: string;
  duplicate: boolean;
  dispatched: boolean;
}

const values = ({ settled, ...row }: DeliveryRow) => ({ ...row, payload: row.payload ?? null, dispatchedAt: settled ? sql`now()` : null });

/**
 * The webhook inbox, the one table the API writes (DESIGN: a delivery is durable before Harbor
 * gets its 2xx). Returns the row and whether this delivery was new.
 */
export async function storeDelivery(db: Db, row: DeliveryRow): Promise<StoredDelivery> {
  const [inserted] = await db
    .insert(webhookEvents)
    .values(values(row))
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
 * Group commit: deliveries that arrived together, stored by one multi-row INSERT (one statement,
 * so one transaction: every row of it is committed when it returns), the repeats among them then
 * read by one SELECT. Settles each row in order. If the INSERT fails, each row is stored on its
 * own, so that one bad row fails alone and its neighbours are still stored.
 */
export async function storeDeliveries(db: Db, rows: DeliveryRow[]): Promise<PromiseSettledResult<StoredDelivery>[]> {
  // In order, so that of two rows with one key the first is the delivery, as in the batch statement.
  const alone = async () => {
    const settled: PromiseSettledResult<StoredDelivery>[] = [];
    for (const row of rows) {
      try {
        settled.push({ status: 'fulfilled', value: await storeDelivery(db, row) });
      } catch (reason) {
        settled.push({ status: 'rejected', reason });
      }
    }
    return settled;
  };
  if (rows.length === 1) return alone();
  let inserted: { id: string; source: string; dedupeKey: string }[];
  try {
    inserted = await db
      .insert(webhookEvents)
      .values(rows.map(values))
      .onConflictDoNothing({ target: [webhookEvents.source, webhookEvents.dedupeKey] })
      .returning({ id: webhookEvents.id, source: webhookEvents.source, dedupeKey: webhookEvents.dedupeKey });
  } catch {
    return alone(); // the rows that fail again say why
  }
  // The first row of a key new to the table is its delivery; the batch's later rows of that key repeat it.
  const fresh = new Map(inserted.map((r) => [keyOf(r), r.id]));
  const repeats = rows.filter((r) => !fresh.has(keyOf(r)));
  const existing = repeats.length > 0 ? await storedRows(db, repeats).catch(() => new Map<string, StoredDelivery>()) : new Map<string, StoredDelivery>();
  const answered = new Set<string>();
  return Promise.allSettled(
    rows.map(async (row) => {
      const key = keyOf(row);
      const id = fresh.get(key);
      if (id !== undefined) {
        const duplicate = answered.has(key);
        answered.add(key);
        return { id, duplicate, dispatched: false };
      }
      // Not read above (the SELECT failed, or the row was deleted in between by the invalid rows' cap): on its own.
      return existing.get(key) ?? storeDelivery(db, row);
    }),
  );
}

const keyOf = (r: { source: string; dedupeKey: string }) => `${r.source}\n${r.dedupeKey}`;

/** The stored rows of repeated deliveries, by key. */
async function storedRows(db: Db, rows: DeliveryRow[]): Promise<Map<string, StoredDelivery>> {
  const found = await db
    .select({ id: webhookEvents.id, source: webhookEvents.source, dedupeKey: webhookEvents.dedupeKey, dispatchedAt: webhookEvents.dispatchedAt })
    .from(webhookEvents)
    .where(or(...rows.map((r) => and(eq(webhookEvents.source, r.source), eq(webhookEvents.dedupeKey, r.dedupeKey)))));
  return new Map(found.map((f) => [keyOf(f), { id: f.id, duplicate: true, dispatched: f.dispatchedAt !== null }]));
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
