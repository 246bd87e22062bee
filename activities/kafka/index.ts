import { toCloudEvent, type EventDraft } from './cloudevents';
import type { EventPublisher } from './publisher';

export type { EventDraft, RegistryEvent } from './cloudevents';
export { createKafkaPublisher, createLogPublisher, type EventPublisher } from './publisher';

export function createKafkaActivities({ events }: { events: EventPublisher }) {
  return {
    /** Publishes one CloudEvent; the draft's id comes from the workflow so a retry reuses it. */
    async publishEvent(draft: EventDraft): Promise<void> {
      await events.publish(toCloudEvent(draft));
    },
    /** Several CloudEvents in order; a retry resends them all with the same ids (consumers dedupe on id). */
    async publishEvents(drafts: EventDraft[]): Promise<void> {
      if (drafts.length > 0) await events.publish(...drafts.map(toCloudEvent));
    },
  };
}
