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
  const created = Date.parse(creationTime ?? '');
  return Number.isFinite(created) && created >= Context.current().info.scheduledTimestampMs;
}
