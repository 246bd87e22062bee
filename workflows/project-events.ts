import { log, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProjectEventInput } from '../lib/project-events';
import { profiles } from './activity-options';
import { recordHarborSummary } from './harbor-summary';
import { followProjectReplications } from './replications';

const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

const TELEMETRY_TYPES: Record<string, string> = {
  QUOTA_EXCEED: 'modelregistry.quota.exceeded',
  QUOTA_WARNING: 'modelregistry.quota.warned',
  REPLICATION: 'modelregistry.replication.changed',
};

const QUOTA_TYPES = new Set(['QUOTA_EXCEED', 'QUOTA_WARNING']);

/**
 * A project's quota and replication events from Harbor: an audit record and a telemetry event; a quota
 * event also refreshes the row's Harbor figures, a replication event nudges the executions' followers.
 */
export async function harborProjectEventWorkflow(input: ProjectEventInput): Promise<void> {
  const resource = `projects/${input.registry}/${input.project}`;
  const occurredAt = new Date(input.occurAt * 1000).toISOString();
  await db.recordAudit({ eventKey: `harbor:${input.inboxId}`, actor: input.operator, action: input.type.toLowerCase(), resource, details: { occurredAt, harbor: input.details } });
  await events.publishEvent({
    id: input.inboxId,
    type: TELEMETRY_TYPES[input.type] ?? 'modelregistry.project.notified',
    subject: resource,
    time: occurredAt,
    data: { registry: input.registry, project: input.project, harborType: input.type, operator: input.operator, details: input.details },
  });
  // A quota event means the usage moved: the project page should show Harbor's new figures.
  if (QUOTA_TYPES.has(input.type)) await recordHarborSummary(input.registry, input.project);
  // A replication moved: record executions Harbor's triggers started and have the running ones read Harbor now.
  if (input.type === 'REPLICATION' && patched('replication-followers')) {
    try {
      await followProjectReplications(input.registry, input.project);
    } catch (err) {
      // The poller Schedule catches up with what this missed; the delivery itself is handled.
      log.warn('replication followers not nudged', { project: input.project, error: String(err) });
    }
  }
  await db.markWebhookEventsProcessed([input.inboxId]);
}
