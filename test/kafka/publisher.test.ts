import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { describe, expect, inject, it } from 'vitest';
import { createKafkaActivities, createKafkaPublisher } from '../../activities/kafka';
import { toActivityFailure } from '../../lib/failures';
import { readTopic } from '../support/kafka';

describe('CloudEvents on a real Kafka broker', () => {
  it('publishes structured CloudEvents keyed by subject, carrying the id the workflow made', async () => {
    const topic = `events-${randomUUID()}`;
    const publisher = createKafkaPublisher({ bootstrapBrokers: [inject('kafkaBootstrap')], topic });
    const { publishEvent } = createKafkaActivities({ events: publisher });
    const draft = { id: randomUUID(), type: 'modelregistry.project.created', subject: 'projects/harbor.local/acme', time: new Date().toISOString(), data: { name: 'acme' } };
    await publishEvent(draft);
    await publishEvent({ ...draft, id: randomUUID(), type: 'modelregistry.project.archived' });
    await publisher.close();

    const records = await readTopic(inject('kafkaBootstrap'), topic, { count: 2 });
    expect(records).toHaveLength(2);
    const [created, archived] = records.map((r) => ({ ...r, event: JSON.parse(r.value) }));
    expect(created!.key).toBe('projects/harbor.local/acme');
    expect(created!.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(created!.event).toEqual({
      specversion: '1.0',
      id: draft.id,
      source: '/model-registry',
      type: 'modelregistry.project.created',
      subject: 'projects/harbor.local/acme',
      time: draft.time,
      datacontenttype: 'application/json',
      data: { name: 'acme' },
    });
    // Same key: one partition, so a resource's events keep their order.
    expect(archived!.event.type).toBe('modelregistry.project.archived');
  });

  it('keeps working after many concurrent publishes (the idempotent producer sends one at a time)', async () => {
    const topic = `events-${randomUUID()}`;
    const publisher = createKafkaPublisher({ bootstrapBrokers: [inject('kafkaBootstrap')], topic });
    const event = (i: number) => ({ specversion: '1.0' as const, id: `e${i}`, source: '/t', type: 'modelregistry.project.created', subject: `projects/r/p${i % 3}`, time: '', datacontenttype: 'application/json' as const, data: { i } });
    await Promise.all(Array.from({ length: 20 }, (_, i) => publisher.publish(event(i))));
    await publisher.publish(event(20));
    await publisher.close();
    const records = await readTopic(inject('kafkaBootstrap'), topic, { count: 21 });
    expect(records).toHaveLength(21);
    // Per subject, in the order published.
    const ofP0 = records.filter((r) => r.key === 'projects/r/p0').map((r) => JSON.parse(r.value).data.i);
    expect(ofP0).toEqual([0, 3, 6, 9, 12, 15, 18]);
  });

  it('sends several events in one request, in order, between concurrent single sends', async () => {
    const topic = `events-${randomUUID()}`;
    const publisher = createKafkaPublisher({ bootstrapBrokers: [inject('kafkaBootstrap')], topic });
    const event = (i: number) => ({ specversion: '1.0' as const, id: `m${i}`, source: '/t', type: 'modelregistry.model.image_synced', subject: 'models/r/p/m', time: '', datacontenttype: 'application/json' as const, data: { i } });
    await Promise.all([publisher.publish(event(0)), publisher.publish(event(1), event(2), event(3)), publisher.publish(event(4))]);
    await publisher.publish(...[5, 6, 7, 8, 9].map(event));
    await publisher.close();
    const records = await readTopic(inject('kafkaBootstrap'), topic, { count: 10 });
    expect(records.map((r) => JSON.parse(r.value).data.i)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('fails only the publish the broker refuses for good (a record too large), not the others of its request', async () => {
    const topic = `events-${randomUUID()}`;
    // Partitions of their own for the refused record and the others: the broker takes some of the request.
    const admin = new Admin({ clientId: 'test-admin', bootstrapBrokers: [inject('kafkaBootstrap')] });
    await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 });
    await admin.close();
    const publisher = createKafkaPublisher({ bootstrapBrokers: [inject('kafkaBootstrap')], topic });
    const event = (id: string, data: Record<string, unknown>) => ({ specversion: '1.0' as const, id, source: '/t', type: 'modelregistry.model.refreshed', subject: `projects/r/${id}`, time: '', datacontenttype: 'application/json' as const, data });
    // The first publish goes alone; the next three, submitted while it is sent, share one request.
    const first = publisher.publish(event('first', {}));
    const [before, huge, after] = await Promise.allSettled([publisher.publish(event('before', {})), publisher.publish(event('huge', { blob: 'x'.repeat(2 * 1024 * 1024) })), publisher.publish(event('after', {}))]);
    await first;
    expect([before.status, huge.status, after.status]).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(toActivityFailure((huge as PromiseRejectedResult).reason)).toMatchObject({ type: 'KafkaRejected', nonRetryable: true });
    // Later publishes to every partition go through: none is left refusing them as out of order.
    await Promise.all(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map((id) => publisher.publish(event(id, {}))));
    await publisher.close();
    const ids = (await readTopic(inject('kafkaBootstrap'), topic, { what: 'the small events', until: (records) => new Set(records.map((r) => JSON.parse(r.value).id)).size >= 9 })).map((r) => JSON.parse(r.value).id);
    expect(new Set(ids)).toEqual(new Set(['first', 'before', 'after', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5']));
  });

  it('refuses an event type outside modelregistry.<resource>.<verb>', async () => {
    const { publishEvent } = createKafkaActivities({ events: { publish: () => Promise.resolve(), close: () => Promise.resolve() } });
    await expect(publishEvent({ id: '1', type: 'project.created', subject: 's', time: '', data: {} })).rejects.toThrow(/modelregistry/);
  });
});
