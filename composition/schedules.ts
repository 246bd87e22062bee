import { type Client, ScheduleAlreadyRunning, type ScheduleOptions, ScheduleOverlapPolicy } from '@temporalio/client';

export const SWEEPER_SCHEDULE_ID = 'webhook-inbox-sweeper';
export const RECONCILIATION_SCHEDULE_ID = 'catalogue-reconciliation';
export const MEMBERSHIP_SCHEDULE_ID = 'membership-sync';
export const REPLICATION_POLLER_SCHEDULE_ID = 'replication-execution-poller';

/** The periodic work of the service as Temporal Schedules (visible and pausable in the Web UI); creating one that exists is a no-op. */
export async function ensureSchedules(client: Client, taskQueue: string, opts: { reconcileEveryMinutes?: number; membershipSyncEveryMinutes?: number } = {}): Promise<void> {
  await createOnce(client, {
    scheduleId: RECONCILIATION_SCHEDULE_ID,
    spec: { intervals: [{ every: `${opts.reconcileEveryMinutes ?? 60} minutes` }] },
    action: { type: 'startWorkflow', workflowType: 'reconcileAllWorkflow', args: [], taskQueue, workflowId: 'catalogue-reconciliation' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Refresh every managed project from Harbor, repairing lost webhooks' },
  });
  await createOnce(client, {
    scheduleId: SWEEPER_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 minute' }] },
    action: { type: 'startWorkflow', workflowType: 'webhookSweepWorkflow', args: [30], taskQueue, workflowId: 'webhook-inbox-sweep' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Re-dispatch Harbor webhook deliveries stored but not handed to Temporal' },
  });
  await createOnce(client, {
    scheduleId: REPLICATION_POLLER_SCHEDULE_ID,
    spec: { intervals: [{ every: '1 minute' }] },
    action: { type: 'startWorkflow', workflowType: 'replicationPollWorkflow', args: [180], taskQueue, workflowId: 'replication-execution-poll' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: 'Refresh replication executions still in progress that Harbor was not asked about for 3 minutes (a lost webhook, a dead follower)' },
  });
  // Without Keycloak there is no membership to sync.
  if (opts.membershipSyncEveryMinutes === undefined) return;
  await createOnce(client, {
    scheduleId: MEMBERSHIP_SCHEDULE_ID,
    spec: { intervals: [{ every: `${opts.membershipSyncEveryMinutes} minutes` }] },
    action: { type: 'startWorkflow', workflowType: 'membershipSyncAllWorkflow', args: [], taskQueue, workflowId: 'membership-sync' },
    policies: { overlap: ScheduleOverlapPolicy.SKIP },
    memo: { purpose: "Make every managed project's Harbor members match its Keycloak groups" },
  });
}

async function createOnce(client: Client, options: ScheduleOptions): Promise<void> {
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
