import { Context } from '@temporalio/activity';
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';

/**
 * A delete retried after its first attempt committed but its answer was lost (a timeout, a worker
 * killed after the commit) finds no live row, and would answer 404 for its own work. The row it
 * archived is one archived since the activity was first scheduled: nobody else archives it
 * meanwhile, since the workflows of a resource run one at a time (their workflow id). This is that
 * condition on `deletedAt`, on a retry only. No allowance for PostgreSQL's clock and Temporal's
 * disagreeing: one behind makes such a retry the 404 it was.
 */
export function archivedByAnEarlierAttempt(deletedAt: AnyColumn): SQL | undefined {
  const { attempt, scheduledTimestampMs } = Context.current().info;
  return attempt > 1 ? sql`${deletedAt} >= to_timestamp(${scheduledTimestampMs / 1000})` : undefined;
}
