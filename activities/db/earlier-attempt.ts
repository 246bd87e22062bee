import { Context } from '@temporalio/activity';
import { and, desc, eq, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Db, Tx } from '../../db/client';
import { nameUuid } from '../../lib/name-uuid';

type SoftDeleted = PgTable & { isArchived: AnyPgColumn; deletedAt: AnyPgColumn };

/**
 * A delete retried after its first attempt committed but its answer was lost (a timeout, a worker
 * killed after the commit) finds no live row, and would answer 404 for its own work. The row it
 * archived is the newest of `key` archived since the activity was first scheduled: nobody else
 * archives it meanwhile, since the workflows of a resource run one at a time (their workflow id).
 * On a first attempt, none. No allowance for PostgreSQL's clock and Temporal's disagreeing: one
 * behind makes such a retry the 404 it was.
 */
export async function archivedByAnEarlierAttempt<T extends SoftDeleted>(db: Db | Tx, table: T, key: SQL | undefined): Promise<T['$inferSelect'] | undefined> {
  const { attempt, scheduledTimestampMs } = Context.current().info;
  if (attempt === 1) return undefined;
  const rows = await db
    .select()
    .from(table as PgTable)
    .where(and(key, eq(table.isArchived, true), sql`${table.deletedAt} >= to_timestamp(${scheduledTimestampMs / 1000})`))
    .orderBy(desc(table.deletedAt))
    .limit(1);
  return rows[0] as T['$inferSelect'] | undefined;
}

/**
 * A key naming this activity of this workflow run, the same on every attempt (`<prefix>:<UUIDv5>`,
 * short enough for an audit key): what an attempt records under it, a retry finds. None outside a
 * workflow.
 */
export function thisActivityKey(prefix: string): string | undefined {
  const { workflowExecution: run, activityId } = Context.current().info;
  return run && `${prefix}:${nameUuid(`${run.workflowId}:${run.runId}:${activityId}`)}`;
}
