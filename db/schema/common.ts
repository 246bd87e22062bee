import { sql } from 'drizzle-orm';
import { boolean, customType, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const modelregistry = pgSchema('modelregistry');

/** uuid primary key; the seed gives no default, we let PostgreSQL generate one. */
export const id = () => uuid('id').primaryKey().defaultRandom();

/**
 * Soft-delete and audit columns every seed entity carries. `deleted_at` is `-infinity`
 * while the row is live so that it can sit in unique indexes (NULLs never collide).
 * The seed declares `is_archived NOT NULL` without a default; `false` is added so that
 * inserts need not repeat it. Timestamps are read as strings because `-infinity` is not a JS Date.
 */
export const softDelete = () => ({
  user: text('user'),
  isArchived: boolean('is_archived').notNull().default(false),
  deletedAt: timestamp('deleted_at', { withTimezone: true, mode: 'string' })
    .notNull()
    .default(sql`'-infinity'`),
});

/** Raw bytes (digests, hashes); drizzle's pg-core has no bytea column of its own. */
export const bytea = customType<{ data: Buffer }>({ dataType: () => 'bytea' });
