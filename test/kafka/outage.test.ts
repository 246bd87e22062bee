import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafkaActivities, createKafkaPublisher } from '../../activities/kafka';
import { toActivityFailure } from '../../lib/failures';
import { readTopic } from '../support/kafka';
import { startKafka } from '../servers/kafka';

/**
 * A broker of this file's own, killed (SIGKILL) and started again on its data: a publish meanwhile
 * fails as a retryable KafkaUnavailable (its activity retries, the workflow waits), and the same
 * publisher, long-lived in the worker, publishes again once the broker is back, with no restart of ours.
 */
describe('the event publisher across a Kafka outage', () => {
  let broker: Awaited<ReturnType<typeof startKafka>>;
  beforeAll(async () => {
    broker = await startKafka();
  }, 180_000);
  afterAll(() => broker?.stop());

  it('fails retryably while the broker is down and publishes again once it is back', async () => {
    const topic = `events-${randomUUID()}`;
    const publisher = createKafkaPublisher({ bootstrapBrokers: [broker.bootstrap], topic });
    const { publishEvent } = createKafkaActivities({ events: publisher });
    const draft = (name: string) => ({ id: randomUUID(), type: 'modelregistry.project.created', subject: `projects/harbor.local/${name}`, time: new Date().toISOString(), data: { name } });
    try {
      await publishEvent(draft('before'));

      await broker.crash();
      const during = draft('during');
      const down = await publishEvent(during).then(() => null, (err: unknown) => toActivityFailure(err));
      expect(down).toBeInstanceOf(ApplicationFailure);
      expect(down).toMatchObject({ type: 'KafkaUnavailable', nonRetryable: false });

      await broker.restart();
      // As the activity's retry would: the same publisher, the same event again.
      await publishEvent(during);
      await publishEvent(draft('after'));
    } finally {
      await publisher.close();
    }
    const records = await readTopic(broker.bootstrap, topic, { count: 3 });
    expect(records.map((r) => r.key)).toEqual(['before', 'during', 'after'].map((name) => `projects/harbor.local/${name}`));
  }, 300_000);
});
