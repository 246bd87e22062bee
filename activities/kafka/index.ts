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
  };
}
