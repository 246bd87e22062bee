import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';
import { eventually, expectNever } from './eventually';

export interface ConsumedRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface TopicRead {
  /** What the read waits for, as a failed wait names it. */
  what: string;
  /** Whether the records read so far hold what the test waits for. */
  until: (records: ConsumedRecord[]) => boolean;
  /** Then, reading on for `forMs`, that `what` does not happen: `check` answers what it saw when it did. */
  never?: { what: string; check: (records: ConsumedRecord[]) => unknown; forMs: number };
  /** How long to wait for `until` (default 15 s). */
  waitMs?: number;
}

/** `count` records, and for half a second no record beyond them. */
const exactly = (count: number): TopicRead => ({
  what: `${count} records`,
  until: (records) => records.length >= count,
  never: { what: `a record beyond the ${count} expected`, check: (records) => records.length > count && records.length, forMs: 500 },
});

/** Reads a topic from the beginning until `read.until` holds, and then checks `read.never` while reading on. */
export async function readTopic(bootstrap: string, topic: string, read: TopicRead | { count: number }): Promise<ConsumedRecord[]> {
  const { what, until, never, waitMs } = 'count' in read ? exactly(read.count) : read;
  const consumer = new Consumer({
    groupId: `test-${randomUUID()}`,
    clientId: 'test-reader',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
  });
  const records: ConsumedRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    stream.on('data', (message) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of message.headers) headers[String(k)] = String(v);
      records.push({ key: String(message.key), value: String(message.value), headers });
    });
    await eventually(`${what} on topic ${topic}`, () => until(records), { timeoutMs: waitMs ?? 15_000, intervalMs: 50 });
    if (never) await expectNever(never.what, () => never.check(records), { forMs: never.forMs });
  } finally {
    // Forced: also closes the stream. (The promise overload is shadowed by the callback one.)
    await new Promise<void>((resolve, reject) => consumer.close(true, (err) => (err ? reject(err) : resolve())));
  }
  return [...records];
}
