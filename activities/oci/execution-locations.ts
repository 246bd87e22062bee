import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findReplicationRuleById } from '../../db/queries/replications';
import { replicationExecutions } from '../../db/schema';
import { locationsOfTask, taskRepository } from '../../lib/execution-locations';
import type { ExecutionRef, ExecutionTask } from '../../lib/replication';
import type { createLocationActivities } from '../db/locations';
import type { createRemoteOciActivities } from './remote';

/**
 * Where the versions a rule's execution replicated now live: for each finished task (one per
 * repository), the tags both sides serve are compared and written as locations. Promotions and
 * syncs record their own; this covers runs of a rule, manual, scheduled or event-based.
 */
export function createExecutionLocationActivities(
  { db }: { db: Db },
  { remote, locations }: { remote: ReturnType<typeof createRemoteOciActivities>; locations: ReturnType<typeof createLocationActivities> },
) {
  return {
    async recordRuleExecutionLocations(ref: ExecutionRef): Promise<{ recorded: number }> {
      const [execution] = await db
        .select()
        .from(replicationExecutions)
        .where(and(eq(replicationExecutions.harborInstance, ref.registry), eq(replicationExecutions.harborExecutionId, ref.harborExecutionId)))
        .limit(1);
      const rule = execution?.ruleId && execution.purpose === 'rule' ? await findReplicationRuleById(db, execution.ruleId) : null;
      if (!execution || !rule) return { recorded: 0 };
      const push = rule.direction === 'push';
      let recorded = 0;
      for (const task of (execution.tasks as unknown as ExecutionTask[]) ?? []) {
        if (task.status === 'InProgress' || task.status === 'Pending') continue;
        const [localRepository, remoteRepository] = push ? [taskRepository(task.srcResource), taskRepository(task.dstResource)] : [taskRepository(task.dstResource), taskRepository(task.srcResource)];
        if (!localRepository?.startsWith(`${rule.project}/`) || !remoteRepository) continue;
        const model = localRepository.slice(rule.project.length + 1);
        const succeeded = task.status === 'Succeed';
        const local = (await locations.localVersions(rule.projectId, [model])).map((v) => ({ tag: v.tag, digest: v.digest }));
        const remoteTags = remote.readRemoteTags({ registry: rule.registry, name: rule.remoteRegistry }, remoteRepository, rule.filters.tag);
        const found = locationsOfTask({
          direction: rule.direction,
          succeeded,
          local,
          // A task that failed because the remote is down or refuses us: nothing there is known.
          remote: succeeded ? await remoteTags : await remoteTags.catch(() => []),
          tagFilter: rule.filters.tag,
          taskDetail: `Harbor's task ${task.id} of execution ${ref.harborExecutionId} ended ${task.status}; its log in Harbor says why`,
        });
        for (const l of found) {
          await locations.recordVersionLocation({ projectId: rule.projectId, model, remoteRegistryId: rule.remoteRegistryId, remoteRepository, executionId: execution.id, ...l });
        }
        recorded += found.length;
      }
      return { recorded };
    },
  };
}
