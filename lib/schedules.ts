import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';

export const SWEEPER_SCHEDULE_ID = 'webhook-inbox-sweeper';

/** The periodic work of the service as Temporal Schedules (visible and pausable in the Web UI); creating one that exists is a no-op. */
export async function ensureSchedules(client: Client, taskQueue: string): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: SWEEPER_SCHEDULE_ID,
      spec: { intervals: [{ every: '1 minute' }] },
      action: { type: 'startWorkflow', workflowType: 'webhookSweepWorkflow', args: [30], taskQueue, workflowId: 'webhook-inbox-sweep' },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
      memo: { purpose: 'Re-dispatch Harbor webhook deliveries stored but not handed to Temporal' },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
