import { condition, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { operationFailed } from '../lib/failure-types';
import { isFinalExecutionStatus, type ExecutionPurpose, type ExecutionReport, type ReplicationPolicySpec } from '../lib/replication';
import { profiles } from './activity-options';
import type { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const undo = proxyActivities<Activities>(profiles.compensation);

/**
 * How long a one-off replication may run before the workflow gives up on it. It is polled from
 * half a second, growing by half up to 15 s: nothing signals a promotion when Harbor's execution
 * ends, and a doubling back-off to a minute made a 3 s copy take 8 s (bench/promotion.ts).
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
 * fails), started, its execution recorded and read on a backing-off timer (or at once when
 * `nudges()` changes: a signal) to a final status, then deleted whatever that status. Steps:
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
  const harborExecutionId = await saga.step('start-replication', () => harbor.startHarborReplication(policy.registry, policyId));
  hooks.started?.(harborExecutionId);
  const { report, executionId } = await saga.step('replicate', async () => {
    const started = Date.now();
    let wait = FIRST_POLL_MS;
    let report = await harbor.readHarborReplication(policy.registry, harborExecutionId);
    const { execution } = await db.recordReplicationExecution({ registry: policy.registry, ...record, report });
    while (!isFinalExecutionStatus(report.status)) {
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
