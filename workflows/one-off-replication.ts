import { condition, patched, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { operationFailed } from '../lib/failure-types';
import { isFinalExecutionStatus, JOB_RETRY_WINDOW_MS, type ExecutionPurpose, type ExecutionReport, type ReplicationPolicySpec } from '../lib/replication';
import { profiles } from './activity-options';
import type { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const undo = proxyActivities<Activities>(profiles.compensation);
const temporal = proxyActivities<Activities>(profiles.temporal);

/**
 * How long a one-off replication may run before the workflow gives up on it. Its follower signals
 * when it settles; it is also polled from half a second, growing by half up to 15 s, since a short
 * copy ends before a webhook has made its way to the follower (bench/promotion.ts).
 */
const REPLICATION_LIMIT_MS = 6 * 3600_000;
const FIRST_POLL_MS = 500;
const MAX_POLL_MS = 15_000;

export interface OneOffReplication {
  harborExecutionId: number;
  /** The `replication_executions` row. */
  executionId: string;
  /** Harbor's final report. */
  report: ExecutionReport;
}

/**
 * A promotion's or a sync's own Harbor policy, run once: created (undone by name if a later step
 * fails), started, its execution recorded and handed to its follower, read on a backing-off timer
 * (or at once when `nudges()` changes: the follower's signal) until it settles (a `Failed` one
 * once Harbor's job retries are over), then deleted whatever its status. Steps:
 * `create-policy`, `start-replication`, `replicate`, `delete-policy`.
 */
export async function runOneOffReplication(
  saga: Saga,
  policy: ReplicationPolicySpec,
  record: { projectId: string; ruleId: string | null; purpose: ExecutionPurpose },
  hooks: { nudges: () => number; started?: (harborExecutionId: number) => void },
): Promise<OneOffReplication> {
  const since = Date.now();
  const policyId = await saga.step(
    'create-policy',
    () => harbor.createHarborReplicationPolicy(policy),
    () => undo.deleteHarborReplicationPolicyNamed(policy.registry, policy.name, since),
  );
  const harborExecutionId = await saga.step('start-replication', () => harbor.startHarborReplication(policy.registry, policyId, { once: true }));
  hooks.started?.(harborExecutionId);
  const { report, executionId } = await saga.step('replicate', async () => {
    // Its follower (the one webhooks nudge) signals this workflow when the execution settles.
    const followed = patched('one-off-follower');
    const started = Date.now();
    let wait = FIRST_POLL_MS;
    let failedSince: number | undefined;
    let report = await harbor.readHarborReplication(policy.registry, harborExecutionId);
    const { execution } = await db.recordReplicationExecution({ registry: policy.registry, ...record, report });
    // Finished at once too, since the patch: its follower is what announces the end (and reads its tasks).
    if (followed && (report.status !== 'Succeed' || patched('one-off-follows-finished'))) await temporal.followReplicationExecutions([{ registry: policy.registry, harborExecutionId, watcher: workflowInfo().workflowId }]);
    const settled = () => {
      if (!followed) return isFinalExecutionStatus(report.status);
      failedSince = report.status === 'Failed' ? (failedSince ?? Date.now()) : undefined;
      return isFinalExecutionStatus(report.status) && (failedSince === undefined || Date.now() - failedSince >= JOB_RETRY_WINDOW_MS);
    };
    while (!settled()) {
      if (Date.now() - started > REPLICATION_LIMIT_MS) throw operationFailed(`Harbor's replication ${harborExecutionId} still runs after ${REPLICATION_LIMIT_MS / 3600_000} h`, { harborExecutionId });
      const seen = hooks.nudges();
      await condition(() => hooks.nudges() !== seen, wait);
      wait = Math.min(Math.round(wait * 1.5), MAX_POLL_MS);
      report = await harbor.readHarborReplication(policy.registry, harborExecutionId);
      await db.observeReplicationExecution(policy.registry, report);
    }
    return { report, executionId: execution.id };
  });
  await saga.step('delete-policy', () => undo.deleteHarborReplicationPolicy(policy.registry, policyId));
  return { harborExecutionId, executionId, report };
}

/** Why a final report is not a success, for a failure or a location's detail. */
export const executionFailure = (r: OneOffReplication) => `Harbor's replication ${r.harborExecutionId} ended ${r.report.status}${r.report.statusText ? `: ${r.report.statusText}` : ''}`;

/** Fails the saga at a named step (after a later one ran, e.g. the policy's delete), so the failure names where it stopped. */
export const failAt = (saga: Saga, step: string, err: Error): Promise<never> => saga.step(step, () => Promise.reject(err));
