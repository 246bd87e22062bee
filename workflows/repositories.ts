import { condition, continueAsNew, defineSignal, patched, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { ARTIFACT_EVENTS, HARBOR_EVENT_SIGNAL, HARBOR_EVENTS_SIGNAL, type RepositoryEvent, type RepositoryWorkflowInput } from '../lib/repository-events';
import { profiles } from './activity-options';

export type { RepositoryEvent, RepositoryWorkflowInput } from '../lib/repository-events';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const batch = proxyActivities<Activities>(profiles.batch);
/** Events applied by one activity: bounded so that one attempt stays short. */
const BATCH_SIZE = 25;

export const harborEventSignal = defineSignal<[RepositoryEvent]>(HARBOR_EVENT_SIGNAL);
export const harborEventsSignal = defineSignal<[RepositoryEvent[]]>(HARBOR_EVENTS_SIGNAL);

/** Well below Temporal's suggested history limit; the entity starts afresh with what is pending. */
const CONTINUE_AS_NEW_EVENTS = 2_000;

/**
 * The entity workflow of one repository (a model), fed by webhook signals. Every artifact event
 * reconciles that digest with what Harbor holds now, so duplicated, lost-then-replayed or
 * reordered deliveries end in the same catalogue. Events are applied one at a time, in arrival order.
 */
export async function repositoryWorkflow(input: RepositoryWorkflowInput): Promise<void> {
  const pending: RepositoryEvent[] = [...(input.pending ?? [])];
  const seen = new Set<string>();
  const receive = (event: RepositoryEvent) => {
    if (!seen.has(event.inboxId)) pending.push(event);
  };
  setHandler(harborEventSignal, receive);
  setHandler(harborEventsSignal, (events) => events.forEach(receive));
  const fullName = `${input.project}/${input.repository}`;
  const historyLimit = input.continueAsNewAfter ?? CONTINUE_AS_NEW_EVENTS;
  for (;;) {
    const more = await condition(() => pending.length > 0, '10 minutes');
    if (!more) return; // idle: a later delivery starts it again (signal-with-start)
    // Runs started before batching replay the one-event-at-a-time path below.
    if (patched('repository-event-batches')) {
      const taken = pending.splice(0, BATCH_SIZE);
      for (const e of taken) seen.add(e.inboxId);
      const changes = await batch.applyRepositoryEvents({ registry: input.registry, project: input.project, projectId: input.projectId, repository: input.repository, events: taken });
      const drafts = changes
        .filter((c) => c.change !== 'unchanged')
        .map((c) => ({
          id: uuid4(),
          type: c.change === 'archived' ? 'modelregistry.model.image_archived' : 'modelregistry.model.image_synced',
          subject: `models/${input.registry}/${fullName}`,
          time: new Date().toISOString(),
          data: { registry: input.registry, project: input.project, model: input.repository, digest: c.digest, tags: c.tags, change: c.change },
        }));
      if (drafts.length > 0) await events.publishEvents(drafts);
      if (workflowInfo().historyLength > historyLimit) await continueAsNew<typeof repositoryWorkflow>({ ...input, pending });
      continue;
    }
    const event = pending.shift()!;
    seen.add(event.inboxId);
    if (event.type === 'PULL_ARTIFACT' && event.digest) {
      // Pulls change nothing in the catalogue; they are the model's usage history.
      await db.recordAudit({
        eventKey: `webhook:${event.inboxId}:${event.digest}`,
        actor: event.operator ?? null,
        action: 'model.pulled',
        resource: `models/${input.registry}/${fullName}`,
        details: { digest: event.digest, tag: event.tag ?? null, occurAt: event.occurAt },
      });
    } else if (ARTIFACT_EVENTS.has(event.type) && event.digest) {
      const artifact = await harbor.fetchHarborArtifact(input.registry, input.project, input.repository, event.digest);
      const change = await db.reconcileArtifact({ projectId: input.projectId, registry: input.registry, fullName, digest: event.digest, artifact });
      await db.recordAudit({
        eventKey: `webhook:${event.inboxId}:${event.digest}`,
        actor: event.operator ?? null,
        action: `model.${event.type.toLowerCase()}`,
        resource: `models/${input.registry}/${fullName}`,
        details: { digest: event.digest, tag: event.tag ?? null, occurAt: event.occurAt, change },
      });
      if (artifact && event.type === 'PUSH_ARTIFACT') {
        const { manifest, config } = await harbor.fetchArtifactManifest(input.registry, input.project, input.repository, event.digest);
        await db.recordArtifactMetadata({ projectId: input.projectId, fullName, digest: event.digest, tag: artifact.tags[0]?.name ?? '', manifest, config });
      }
      if (change !== 'unchanged') {
        await events.publishEvent({
          id: uuid4(),
          type: change === 'archived' ? 'modelregistry.model.image_archived' : 'modelregistry.model.image_synced',
          subject: `models/${input.registry}/${fullName}`,
          time: new Date().toISOString(),
          data: { registry: input.registry, project: input.project, model: input.repository, digest: event.digest, tags: artifact?.tags.map((t) => t.name) ?? [], change },
        });
      }
    }
    await db.markWebhookEventsProcessed([event.inboxId]);
    if (workflowInfo().historyLength > historyLimit) {
      await continueAsNew<typeof repositoryWorkflow>({ ...input, pending });
    }
  }
}
