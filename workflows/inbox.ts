import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { profiles } from './activity-options';

const { redispatchWebhookEvents } = proxyActivities<Activities>(profiles.sweep);

/**
 * Run by the `webhook-inbox-sweeper` Schedule: hands stranded inbox rows (older than
 * `minAgeSeconds`, of one `source` such as `harbor:<registry>` when given) to their workflows.
 */
export async function webhookSweepWorkflow(minAgeSeconds = 30, source?: string): Promise<{ dispatched: number; orphaned: number }> {
  return redispatchWebhookEvents(minAgeSeconds, source);
}
