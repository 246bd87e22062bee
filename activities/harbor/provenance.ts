import { Context } from '@temporalio/activity';

/**
 * Whether Harbor created something (per its `creation_time`) after the running activity was first
 * scheduled: proof that a project or robot of the name it was about to create is an earlier
 * attempt's whose answer was lost, since the workflow checked the name was free first and runs one
 * at a time per name (its workflow id). No allowance for the clocks of Harbor and Temporal
 * disagreeing: one behind makes such a retry fail as a conflict, which is safe; an allowance would
 * adopt what someone created just before.
 */
export function createdDuringThisActivity(creationTime: string | undefined): boolean {
  return createdSince(creationTime, Context.current().info.scheduledTimestampMs);
}

/**
 * Whether Harbor created it at or after `sinceMs`: a compensation given the time its saga step
 * began deletes only what that step can have made, never what someone else made of the name.
 */
export function createdSince(creationTime: string | undefined, sinceMs: number): boolean {
  const created = Date.parse(creationTime ?? '');
  return Number.isFinite(created) && created >= sinceMs;
}
