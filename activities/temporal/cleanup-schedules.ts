import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { CleanupPolicy } from '../../lib/cleanup/types';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { cleanupRunWorkflowId, cleanupScheduleId } from '../../lib/workflow-ids';

/** Harbor's six-field cron (seconds first) as the five classic fields Temporal takes, `?` as `*`. */
export const cleanupCron = (cron: string) => cron.trim().split(/\s+/).slice(1).join(' ').replace(/\?/g, '*');

/** The project's cleanup Schedule (`cleanup:<registry>/<project>`): the policy workflow keeps it in step with the effective policy. */
export function createCleanupScheduleActivities(deps: { temporal: { client: Client; taskQueue: string } }) {
  const { client, taskQueue } = deps.temporal;

  async function deleteCleanupSchedule(registry: string, project: string): Promise<void> {
    try {
      await client.schedule.getHandle(cleanupScheduleId(registry, project)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  return {
    /**
     * Creates or updates the Schedule of a policy with a `schedule`; without one, deletes it. Its runs
     * delete only in `automatic` and `semi-automatic` mode (a `report` policy's are dry). An update
     * keeps the Schedule's paused state: pausing it in the Web UI is an operator's decision.
     */
    async upsertCleanupSchedule(input: { registry: string; project: string; tenant: string; policy: CleanupPolicy }): Promise<void> {
      const { registry, project, policy } = input;
      if (!policy.schedule) return deleteCleanupSchedule(registry, project);
      const spec = { cronExpressions: [cleanupCron(policy.schedule)] };
      const action = {
        type: 'startWorkflow' as const,
        workflowType: 'cleanupRunWorkflow',
        args: [{ registry, project, trigger: 'schedule', dryRun: policy.mode === 'report' }],
        taskQueue,
        workflowId: cleanupRunWorkflowId(registry, project, 'scheduled'),
        typedSearchAttributes: [
          { key: TenantName, value: input.tenant },
          { key: ProjectName, value: project },
          { key: OperationKind, value: 'cleanup.run' },
        ],
      };
      try {
        await client.schedule.create({
          scheduleId: cleanupScheduleId(registry, project),
          spec,
          action,
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          memo: { purpose: `Cleanup of ${project} (${policy.mode})` },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await client.schedule.getHandle(cleanupScheduleId(registry, project)).update((previous) => ({ ...previous, spec, action }));
      }
    },

    deleteCleanupSchedule,
  };
}
