import { sql } from 'drizzle-orm';
import { index, jsonb, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { modelregistry } from './common';

/**
 * The seed's "web-hooks queue table": the durable inbox. A delivery is committed here before
 * Harbor gets its 2xx; `dispatched_at` stays NULL until the processing workflow was signalled,
 * which is what the sweeper looks for.
 */
export const webhookEvents = modelregistry.table(
  'webhook_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** Who sent it, e.g. `harbor:<registry address>`. */
    source: varchar('source', { length: 255 }).notNull(),
    /**
     * The project whose webhook secret authenticated the delivery. No foreign key: inbox rows are
     * an audit trail that outlives a purged project, and the hot insert skips the check.
     */
    projectId: uuid('project_id'),
    /** CloudEvents `id`, else a key derived from the event content (Harbor's Default format has no id). */
    dedupeKey: varchar('dedupe_key', { length: 512 }).notNull(),
    eventType: varchar('event_type', { length: 128 }),
    payload: jsonb('payload'),
    /** The body as received, kept for inspection when it could not be parsed. */
    rawBody: text('raw_body'),
    status: varchar('status', { length: 32 }).notNull().default('received'),
    error: text('error'),
    receivedAt: timestamp('received_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    dispatchedAt: timestamp('dispatched_at', { withTimezone: true, mode: 'string' }),
  },
  (t) => [
    uniqueIndex('ux_webhook_events_source_dedupe_key').on(t.source, t.dedupeKey),
    index('ix_webhook_events_undispatched').on(t.receivedAt).where(sql`${t.dispatchedAt} is null`),
    // The per-project bound of invalid rows, and the metrics' backlog of handed-over, unapplied rows.
    index('ix_webhook_events_invalid').on(t.projectId, t.receivedAt).where(sql`${t.status} = 'invalid'`),
    index('ix_webhook_events_dispatched').on(t.source).where(sql`${t.status} = 'dispatched'`),
  ],
);
