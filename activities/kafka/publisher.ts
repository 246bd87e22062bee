import { Producer, stringSerializers } from '@platformatic/kafka';
import { ApplicationFailure } from '@temporalio/common';
import { createBatcher } from '../../lib/batcher';
import { toActivityFailure } from '../../lib/failures';
import type { Logger } from '../../lib/logger';
import type { RegistryEvent } from './cloudevents';

export interface EventPublisher {
  /** Sends the events in order, in one request where the transport allows. */
  publish(...events: RegistryEvent[]): Promise<void>;
  close(): Promise<void>;
}

const isPermanent = (err: unknown) => {
  const failure = toActivityFailure(err);
  return failure instanceof ApplicationFailure && failure.nonRetryable;
};

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
  const send = (events: RegistryEvent[]) =>
    producer.send({
      messages: events.map((event) => ({
        topic: opts.topic,
        key: event.subject,
        value: JSON.stringify(event),
        headers: { 'content-type': 'application/cloudevents+json; charset=UTF-8', ce_id: event.id, ce_type: event.type },
      })),
    });
  const sends = createBatcher<RegistryEvent[], void>(
    async (publishes) => {
      try {
        await send(publishes.flat());
        return publishes.map(() => ({ status: 'fulfilled', value: undefined }));
      } catch (err) {
        // A broker that is down fails them all, at once: the producer resends what it may itself.
        if (!isPermanent(err)) throw err;
        // A refusal for good (a record too large) is one partition's: the broker took the others'
        // records, but the client counts sequence numbers only from a request that succeeded whole, so
        // every later send to those partitions would be refused as out of order. A new producer session
        // (id and sequences) starts them afresh.
        await producer.initIdempotentProducer({});
        if (publishes.length === 1) throw err;
        // It must fail its own publish only, not every workflow's that shared the request: each is sent
        // again on its own (records a partition took are sent twice, with the ids consumers deduplicate on).
        const settled: PromiseSettledResult<void>[] = [];
        for (const events of publishes) settled.push(await send(events).then(() => ({ status: 'fulfilled', value: undefined }), (reason: unknown) => ({ status: 'rejected', reason })));
        return settled;
      }
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
