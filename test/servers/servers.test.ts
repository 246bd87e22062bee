import { Admin, Producer, stringSerializers } from '@platformatic/kafka';
import { SearchAttributeType } from '@temporalio/common';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka } from './kafka';
import { isListening } from './ports';
import { startPostgres } from './postgres';
import { SEARCH_ATTRIBUTES, temporalExecutable } from './temporal';

// First use on a fresh machine installs or resolves the servers (apt-get, Maven Central): minutes.
const INSTALL_TIMEOUT_MS = 600_000;

const portOf = (address: string) => Number(new URL(address.includes('://') ? address : `tcp://${address}`).port);

describe('throw-away PostgreSQL', () => {
  let server: Awaited<ReturnType<typeof startPostgres>> | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, INSTALL_TIMEOUT_MS);
  afterAll(() => server?.stop());

  it('serves the modelregistry_test database to the postgres superuser', async () => {
    expect(server!.url).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/modelregistry_test$/);
    const sql = postgres(server!.url, { max: 1 });
    try {
      const [row] = await sql`select 1 as one, current_database() as db, current_setting('fsync') as fsync`;
      expect(row).toEqual({ one: 1, db: 'modelregistry_test', fsync: 'off' });
    } finally {
      await sql.end();
    }
  });

  it('stop() shuts the server down', async () => {
    const stopping = server!;
    server = undefined;
    await stopping.stop();
    expect(await isListening(portOf(stopping.url))).toBe(false);
  });
});

describe('single-node KRaft Kafka', () => {
  let broker: Awaited<ReturnType<typeof startKafka>> | undefined;
  beforeAll(async () => {
    broker = await startKafka();
  }, INSTALL_TIMEOUT_MS);
  afterAll(() => broker?.stop());

  it('listens on loopback and answers metadata requests', async () => {
    expect(broker!.bootstrap).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(await isListening(portOf(broker!.bootstrap))).toBe(true);
    const admin = new Admin({ clientId: 'servers-test', bootstrapBrokers: [broker!.bootstrap] });
    try {
      const metadata = await admin.metadata({ topics: [] });
      expect([...metadata.brokers.values()]).toEqual([expect.objectContaining({ host: '127.0.0.1', port: portOf(broker!.bootstrap) })]);
    } finally {
      await admin.close();
    }
  });

  it('creates topics on first use', async () => {
    // The first send only triggers the creation; the producer's retries wait for the new partition's leader.
    const producer = new Producer({ clientId: 'servers-test', bootstrapBrokers: [broker!.bootstrap], serializers: stringSerializers, autocreateTopics: true });
    try {
      const result = await producer.send({ messages: [{ topic: 'servers-test', key: 'k', value: 'v' }] });
      expect(result.offsets).toEqual([{ topic: 'servers-test', partition: 0, offset: 0n }]);
    } finally {
      await producer.close();
    }
  });

  it('stop() shuts the broker down', async () => {
    const stopping = broker!;
    broker = undefined;
    await stopping.stop();
    expect(await isListening(portOf(stopping.bootstrap))).toBe(false);
  });
});

describe('Temporal CLI', () => {
  it(
    'is an absolute path to an executable temporal binary',
    () => {
      const path = temporalExecutable();
      expect(isAbsolute(path)).toBe(true);
      expect(statSync(path).isFile()).toBe(true);
      expect(() => accessSync(path, constants.X_OK)).not.toThrow();
      expect(execFileSync(path, ['--version'], { encoding: 'utf8' })).toMatch(/^temporal version \d+\.\d+\.\d+/);
    },
    INSTALL_TIMEOUT_MS,
  );

  it('lists the four custom search attributes as keywords', () => {
    expect(SEARCH_ATTRIBUTES.map(({ name, type }) => [name, type]).sort()).toEqual(
      ['ModelName', 'OperationKind', 'ProjectName', 'TenantName'].map((name) => [name, SearchAttributeType.KEYWORD]),
    );
  });
});
