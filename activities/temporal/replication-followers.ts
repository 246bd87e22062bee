import type { Client } from '@temporalio/client';
import { REPLICATION_REFRESH_SIGNAL, type FollowRequest, type RefreshRequest } from '../../lib/replication';
import { OperationKind } from '../../lib/search-attributes';
import { replicationExecutionWorkflowId } from '../../lib/workflow-ids';

/** Nudges executions' followers: signal-with-start, so a follower that ended or died is started again. */
export function createReplicationFollowerActivities(deps: { temporal: { client: Client; taskQueue: string } }) {
  const { client, taskQueue } = deps.temporal;
  return {
    async followReplicationExecutions(executions: FollowRequest[]): Promise<void> {
      await Promise.all(
        executions.map((e) =>
          client.workflow.signalWithStart('replicationExecutionWorkflow', {
            workflowId: replicationExecutionWorkflowId(e.registry, e.harborExecutionId),
            taskQueue,
            // The follower's own wait and watchers stay at their defaults; only what was announced is passed.
            args: [{ registry: e.registry, harborExecutionId: e.harborExecutionId }, ...(e.announced ? [undefined, [], e.announced] : [])],
            signal: REPLICATION_REFRESH_SIGNAL,
            signalArgs: [e.watcher ? { watcher: e.watcher } : {}] as [RefreshRequest],
            typedSearchAttributes: [{ key: OperationKind, value: 'replication.follow' }],
          }),
        ),
      );
    },
  };
}
