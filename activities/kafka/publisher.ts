import { Producer, stringSerializers } from '@platformatic/kafka';
import { createBatcher } from '../../lib/batcher';
import type { Logger } from '../../lib/logger';
import type { RegistryEvent } from './cloudevents';

export interface EventPublisher {
  /** Sends the events in order, in one request where the transport allows. */
  publish(...events: RegistryEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** Publishes joined into one produce request: small events, far below the broker's 1 MB request. */
const MAX_PUBLISHES_PER_REQUEST = 64;

/**
 * Kafka in structured CloudEvents mode: the value is the whole event, the key its subject,
 * and the `content-type` header says so. The producer is idempotent, so its own resends
 * are not duplicated; activity retries reuse the event id for consumers to deduplicate on.
 * Sends go one at a time: @platformatic/kafka's idempotent producer loses track of its sequence
 * numbers with concurrent sends (the broker answers OUT_OF_ORDER_SEQUENCE_NUMBER to every later one).
 * Publishes that arrive while a send runs go together in the next one (group commit, in order):
 * many repository workflows publishing at once cost one produce request, not one each.
 */
export function createKafkaPublisher(opts: { bootstrapBrokers: string[]; topic: string; clientId?: string }): EventPublisher {
  const producer = new Producer({
    clientId: opts.clientId ?? 'model-registry',
    bootstrapBrokers: opts.bootstrapBrokers,
    serializers: stringSerializers,
    idempotent: true,
    acks: -1,
    autocreateTopics: true,
    timeout: 10_000,
    retries: 3,
  });
  const sends = createBatcher<RegistryEvent[], void>(
    async (publishes) => {
      await producer.send({
        messages: publishes.flat().map((event) => ({
          topic: opts.topic,
          key: event.subject,
          value: JSON.stringify(event),
          headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8', ce_id: event.id, ce_type: event.type },
        })),
      });
      return publishes.map(() => ({ status: 'fulfilled', value: undefined }));
    },
    { maxBatch: MAX_PUBLISHES_PER_REQUEST },
  );
  return {
    publish: (...events) => sends.submit(events),
    close: () => producer.close(),
  };
}

/** Without a broker the local stack logs the events instead. */
export function createLogPublisher(logger: Logger): EventPublisher {
  return {
    publish(...events) {
      for (const event of events) logger.info({ event }, 'event');
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}
