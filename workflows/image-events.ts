import { uuid4 } from '@temporalio/workflow';
import type { ImageChange } from '../activities/db/catalogue-import';
import type { EventDraft } from '../activities/kafka';

/**
 * A model's `image_synced` / `image_archived` events, whichever path made the change: a webhook's
 * batch (its ids named by the webhook event), a refresh or a sync's import (`via`). One shape, so
 * a consumer sees each change once whichever path noticed it first.
 */
export function imageChangeEvents(ref: { registry: string; project: string; model: string }, changes: (ImageChange & { eventId?: string })[], via: 'webhook' | 'refresh' | 'sync'): EventDraft[] {
  return changes.map((c) => ({
    id: c.eventId ?? uuid4(),
    type: c.change === 'archived' ? 'modelregistry.model.image_archived' : 'modelregistry.model.image_synced',
    subject: `models/${ref.registry}/${ref.project}/${ref.model}`,
    time: new Date().toISOString(),
    // Sorted: Harbor's listing and its artifact read order a version's tags differently.
    data: { ...ref, digest: c.digest, tags: [...c.tags].sort(), change: c.change, via },
  }));
}
