import { Context } from '@temporalio/activity';
import { conflict } from '../../lib/failure-types';
import { isConflict } from './errors';

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

/**
 * Creates through `create`; on Harbor's 409, the id `earlierAttempt` finds when the one there is
 * provably an earlier attempt's, otherwise the caller's Conflict saying `theirs`.
 */
export async function createOrAdopt(create: () => Promise<number>, earlierAttempt: () => Promise<number | undefined>, theirs: string): Promise<number> {
  try {
    return await create();
  } catch (err) {
    if (!isConflict(err)) throw err;
    const id = await earlierAttempt();
    if (id === undefined) throw conflict(theirs);
    return id;
  }
}
