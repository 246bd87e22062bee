import { sql } from 'drizzle-orm';
import { index, jsonb, timestamp, uuid, varchar } from 'drizzle-orm/pg-core';
import { modelregistry } from './common';

/** Who changed what and when, for destructive or security-relevant operations (purge, members, robots). */
export const auditEvents = modelregistry.table(
  'audit_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The workflow's event id: a retried activity writes the same row once. */
    eventKey: varchar('event_key', { length: 255 }).notNull().unique('ux_audit_events_event_key'),
    occurredAt: timestamp('occurred_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    actor: varchar('actor', { length: 255 }),
    action: varchar('action', { length: 128 }).notNull(),
    resource: varchar('resource', { length: 1024 }).notNull(),
    details: jsonb('details').$type<Record<string, unknown>>(),
  },
  (t) => [index('ix_audit_events_resource').on(t.resource, t.occurredAt)],
);
