import { ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy, type Client, type ScheduleSpec } from '@temporalio/client';
import type { ReplicationRuleRecord } from '../../db/queries/replications';
import { OperationKind, ProjectName } from '../../lib/search-attributes';
import { registrySyncWorkflowId, ruleSyncScheduleId } from '../../lib/workflow-ids';

/**
 * When a rule's sync runs: a `scheduled` rule's Harbor cron (six fields, seconds first) without its
 * seconds and with `?` as `*` (Temporal takes the five classic fields); any other every `everyMinutes`.
 */
export function syncScheduleSpec(rule: Pick<ReplicationRuleRecord, 'trigger' | 'cron'>, everyMinutes: number): ScheduleSpec {
  if (rule.trigger === 'scheduled' && rule.cron) return { cronExpressions: [rule.cron.trim().split(/\s+/).slice(1).join(' ').replace(/\?/g, '*')] };
  return { intervals: [{ every: `${everyMinutes} minutes` }] };
}

/** Temporal Schedules that run `registrySyncWorkflow` for pull rules: the rule workflows keep them in step with the rules. */
export function createSyncScheduleActivities(deps: { temporal: { client: Client; taskQueue: string }; syncEveryMinutes?: number }) {
  const { client, taskQueue } = deps.temporal;
  const every = deps.syncEveryMinutes ?? 60;

  async function deleteRuleSyncSchedule(ruleId: string): Promise<void> {
    try {
      await client.schedule.getHandle(ruleSyncScheduleId(ruleId)).delete();
    } catch (err) {
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }

  return {
    /** Creates or updates the rule's Schedule; a push or disabled rule has none (deleted). */
    async upsertRuleSyncSchedule(rule: ReplicationRuleRecord): Promise<void> {
      if (rule.direction !== 'pull' || !rule.enabled) return deleteRuleSyncSchedule(rule.id);
      const spec = syncScheduleSpec(rule, every);
      const action = {
        type: 'startWorkflow' as const,
        workflowType: 'scheduledSyncWorkflow',
        args: [{ ref: { registry: rule.registry, project: rule.project, name: rule.name }, ruleId: rule.id }],
        taskQueue,
        workflowId: registrySyncWorkflowId(rule.registry, rule.project, rule.name),
        typedSearchAttributes: [
          { key: ProjectName, value: rule.project },
          { key: OperationKind, value: 'registry.sync' },
        ],
      };
      try {
        await client.schedule.create({
          scheduleId: ruleSyncScheduleId(rule.id),
          spec,
          action,
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          memo: { purpose: `Synchronize ${rule.project} from ${rule.remoteRegistry} (pull rule ${rule.name})` },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await client.schedule.getHandle(ruleSyncScheduleId(rule.id)).update((previous) => ({ ...previous, spec, action }));
      }
    },

    deleteRuleSyncSchedule,
  };
}

/**
 * Rule Schedules made before `scheduledSyncWorkflow` started `registrySyncWorkflow` themselves,
 * under an id of their own, beside any sync the API had running: their action is brought up to
 * date, with the rule's id from the Schedule's (the worker does this at start).
 */
export async function upgradeRuleSyncSchedules(client: Client, taskQueue: string): Promise<void> {
  const prefix = ruleSyncScheduleId('');
  for await (const listed of client.schedule.list()) {
    if (!listed.scheduleId.startsWith(prefix) || listed.action?.workflowType !== 'registrySyncWorkflow') continue;
    const handle = client.schedule.getHandle(listed.scheduleId);
    try {
      // Another deployment's in the same namespace (its workers may not know the new workflow yet) is its own to upgrade.
      if ((await handle.describe()).action.taskQueue !== taskQueue) continue;
      await handle.update((previous) => {
        if (previous.action.type !== 'startWorkflow') return previous;
        const [input] = (previous.action.args ?? []) as [Record<string, unknown>?];
        return { ...previous, action: { ...previous.action, workflowType: 'scheduledSyncWorkflow', args: [{ ...input, ruleId: listed.scheduleId.slice(prefix.length) }] } };
      });
    } catch (err) {
      // Listed from visibility, a moment behind: its rule's delete took it meanwhile.
      if (!(err instanceof ScheduleNotFoundError)) throw err;
    }
  }
}
