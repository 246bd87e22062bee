import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { randomUUID } from 'node:crypto';

export interface ConsumedRecord {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/**
 * Reads a topic from the beginning until `count` records arrived or `waitMs` passed, and then
 * waits `settleMs` more so that a test can also prove that no extra record followed.
 */
export async function readTopic(bootstrap: string, topic: string, opts: { count: number; waitMs?: number; settleMs?: number }): Promise<ConsumedRecord[]> {
  const consumer = new Consumer({
    groupId: `test-${randomUUID()}`,
    clientId: 'test-reader',
    bootstrapBrokers: [bootstrap],
    deserializers: stringDeserializers,
  });
  const records: ConsumedRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 200 });
    const deadline = Date.now() + (opts.waitMs ?? 15_000);
    await new Promise<void>((resolve) => {
      let settle: NodeJS.Timeout | undefined;
      const done = () => {
        clearTimeout(settle);
        clearInterval(poll);
        resolve();
      };
      const poll = setInterval(() => {
        if (Date.now() > deadline) done();
      }, 100);
      stream.on('data', (message) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of message.headers) headers[String(k)] = String(v);
        records.push({ key: String(message.key), value: String(message.value), headers });
        if (records.length >= opts.count && !settle) settle = setTimeout(done, opts.settleMs ?? 500);
      });
    });
  } finally {
    // Forced: also closes the stream. (The promise overload is shadowed by the callback one.)
    await new Promise<void>((resolve, reject) => consumer.close(true, (err) => (err ? reject(err) : resolve())));
  }
  return records;
}
