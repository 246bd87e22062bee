import { condition, continueAsNew, defineSignal, deprecatePatch, patched, proxyActivities, proxyLocalActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { HARBOR_EVENTS_SIGNAL, type RepositoryEvent, type RepositoryWorkflowInput } from '../lib/repository-events';
import { localProfiles, profiles } from './activity-options';
import { imageChangeEvents } from './image-events';

export type { RepositoryEvent, RepositoryWorkflowInput } from '../lib/repository-events';

const events = proxyActivities<Activities>(profiles.events);
const batch = proxyActivities<Activities>(profiles.batch);
const localEvents = proxyLocalActivities<Activities>(localProfiles.events);
/** Events applied by one activity: bounded so that one attempt stays short. */
const BATCH_SIZE = 25;

export const harborEventsSignal = defineSignal<[RepositoryEvent[]]>(HARBOR_EVENTS_SIGNAL);

/**
 * Runs that applied events one at a time (before this patch) are all closed: the patch is
 * deprecated, so histories with its marker and without it both replay. Once no open run has the
 * marker, this call goes too.
 */
const EVENT_BATCHES_PATCH = 'repository-event-batches';
/**
 * A batch's events are published by a local activity: one workflow task and one activity task
 * fewer per batch (#18). Runs from before publish them as an activity.
 */
const LOCAL_PUBLISH_PATCH = 'repository-events-local-publish';

/** The server suggests a new run as the history grows long; a test may ask for one sooner. */
function historyIsLong(input: RepositoryWorkflowInput): boolean {
  const info = workflowInfo();
  return info.continueAsNewSuggested || (input.continueAsNewAfter !== undefined && info.historyLength > input.continueAsNewAfter);
}

/**
 * The entity workflow of one repository (a model), fed by webhook signals. Every artifact event
 * reconciles that digest with what Harbor holds now, so duplicated, lost-then-replayed or
 * reordered deliveries end in the same catalogue. Events are applied in arrival order, a batch at a time.
 */
export async function repositoryWorkflow(input: RepositoryWorkflowInput): Promise<void> {
  const pending: RepositoryEvent[] = [...(input.pending ?? [])];
  const seen = new Set<string>();
  const receive = (event: RepositoryEvent) => {
    if (!seen.has(event.inboxId)) pending.push(event);
  };
  setHandler(harborEventsSignal, (delivered) => delivered.forEach(receive));
  for (;;) {
    const more = await condition(() => pending.length > 0, '10 minutes');
    if (!more) return; // idle: a later delivery starts it again (signal-with-start)
    deprecatePatch(EVENT_BATCHES_PATCH);
    const taken = pending.splice(0, BATCH_SIZE);
    for (const e of taken) seen.add(e.inboxId);
    const changes = await batch.applyRepositoryEvents({ registry: input.registry, project: input.project, projectId: input.projectId, repository: input.repository, events: taken });
    const drafts = imageChangeEvents(
      { registry: input.registry, project: input.project, model: input.repository },
      changes.flatMap((c) => (c.change === 'unchanged' ? [] : [{ ...c, change: c.change }])),
      'webhook',
    );
    if (drafts.length > 0) await (patched(LOCAL_PUBLISH_PATCH) ? localEvents : events).publishEvents(drafts);
    if (historyIsLong(input)) await continueAsNew<typeof repositoryWorkflow>({ ...input, pending });
  }
}
