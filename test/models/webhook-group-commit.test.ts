import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeDeliveries, type DeliveryRow } from '../../db/inbox/deliveries';
import { readJson } from '../support/http';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/** Group commit in the receiver: deliveries arriving together share one INSERT; each answer follows its commit. */
describe('the webhook receiver stores concurrent deliveries together', () => {
  let stack: TestStack;
  let project: string;
  let projectId: string;
  let auth: string;
  beforeAll(async () => {
    ({ stack, project, projectId } = await startStackWithProject('group', { receiveWebhooks: true }));
    const [row] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${project}`;
    auth = `Bearer ${stack.deps.secrets.open(row!.webhook_secret as string)}`;
  });
  afterAll(() => stack.close());

  const post = async (body: string) => {
    const res = await stack.app.raw.request('/api/v1/webhooks/harbor', { method: 'POST', headers: { 'content-type': 'application/json', authorization: auth }, body });
    return { status: res.status, json: await readJson(res) };
  };
  const delivery = (marker: string, i: number, type = 'PULL_ARTIFACT') => JSON.stringify({
    type,
    occur_at: 1_800_000_000 + i,
    operator: marker,
    event_data: { resources: [{ digest: `sha256:${i.toString(16).padStart(64, '0')}`, tag: `1.0.${i}` }], repository: { name: `m${i % 5}`, namespace: project, repo_full_name: `${project}/m${i % 5}` } },
  });

  it('answers each of many concurrent deliveries rightly (repeats as duplicates, the invalid one 400) and stores one row per delivery', async () => {
    const marker = randomUUID();
    const distinct = Array.from({ length: 40 }, (_, i) => delivery(marker, i));
    const unknown = delivery(marker, 99, 'SOMETHING_NEW');
    const broken = `{"broken": "${marker}"`;
    // Every fifth delivery twice in the same burst, and the unknown one three times.
    const bodies = [...distinct, ...distinct.filter((_, i) => i % 5 === 0), unknown, unknown, unknown, broken];
    const answers = await Promise.all(bodies.map(async (body) => ({ body, ...(await post(body)) })));

    expect(answers.find((a) => a.body === broken)).toMatchObject({ status: 400, json: { errors: [{ field: 'body' }] } });
    const rows = await stack.database.sql<{ id: string; status: string; event_type: string | null; received_at: string; dispatched: boolean }[]>`
      select id, status, event_type, received_at::text, dispatched_at is not null as dispatched from modelregistry.webhook_events
      where payload->>'operator' = ${marker} or raw_body like ${`%${marker}%`}`;
    expect(rows).toHaveLength(distinct.length + 2);
    expect(rows.filter((r) => r.status === 'invalid')).toHaveLength(1);
    for (const body of [...distinct, unknown]) {
      const mine = answers.filter((a) => a.body === body);
      expect(mine.map((a) => a.status)).toEqual(mine.map(() => 200));
      // Exactly one answer is the delivery; the repeats name the same row.
      expect(mine.filter((a) => !a.json.duplicate)).toHaveLength(1);
      expect(new Set(mine.map((a) => a.json.id)).size).toBe(1);
      expect(rows.filter((r) => r.id === mine[0]!.json.id)).toHaveLength(1);
    }
    // The unknown type is stored as handed over, by the statement that stored it.
    const ignored = answers.find((a) => a.body === unknown)!.json.id;
    expect(rows.find((r) => r.id === ignored)).toMatchObject({ status: 'ignored', event_type: 'SOMETHING_NEW', dispatched: true });
    // The delivery says ignored; a repeat says so too, or dispatched if its batch came after the row's.
    expect(answers.filter((a) => a.body === unknown && !a.json.duplicate).map((a) => a.json.status)).toEqual(['ignored']);
    expect(answers.filter((a) => a.body === unknown).every((a) => ['ignored', 'dispatched'].includes(a.json.status))).toBe(true);
    expect(answers.filter((a) => distinct.includes(a.body) && !a.json.duplicate).every((a) => a.json.status === 'queued')).toBe(true);
    // One INSERT stored several of them: rows of one transaction share its now().
    const valid = rows.filter((r) => r.status !== 'invalid');
    expect(new Set(valid.map((r) => r.received_at)).size).toBeLessThan(valid.length);
  });

  it('stores a batch whose INSERT fails row by row: the bad row fails alone, its neighbours and repeats are answered', async () => {
    const marker = randomUUID();
    const source = `harbor:${stack.registry}`;
    const row = (dedupeKey: string): DeliveryRow => ({ source, projectId, dedupeKey, eventType: 'PULL_ARTIFACT', payload: { operator: marker }, rawBody: null, status: 'received' });
    const [earlier] = await storeDeliveries(stack.database.db, [row(`${marker}-earlier`)]);
    // dedupe_key is varchar(512): the long key fails the multi-row statement, then its own.
    const results = await storeDeliveries(stack.database.db, [row(`${marker}-a`), row(`${marker}-${'x'.repeat(600)}`), row(`${marker}-b`), row(`${marker}-a`), row(`${marker}-earlier`)]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    const [a, , b, repeat, again] = results.map((r) => (r.status === 'fulfilled' ? r.value : undefined));
    expect(a).toMatchObject({ duplicate: false, dispatched: false });
    expect(b).toMatchObject({ duplicate: false });
    expect(repeat).toEqual({ ...a, duplicate: true });
    expect(earlier).toMatchObject({ status: 'fulfilled' });
    expect(again).toEqual({ id: (earlier as PromiseFulfilledResult<{ id: string }>).value.id, duplicate: true, dispatched: false });
    const keys = await stack.database.sql`select dedupe_key from modelregistry.webhook_events where payload->>'operator' = ${marker} order by dedupe_key`;
    expect(keys.map((k) => k.dedupe_key)).toEqual([`${marker}-a`, `${marker}-b`, `${marker}-earlier`]);
  });

  it('stores a batch in one statement when every row is good, repeats of stored rows read back', async () => {
    const marker = randomUUID();
    const source = `harbor:${stack.registry}`;
    const row = (dedupeKey: string, settled = false): DeliveryRow => ({ source, projectId, dedupeKey, eventType: 'PULL_ARTIFACT', payload: { operator: marker }, rawBody: null, status: settled ? 'stored' : 'received', settled });
    await storeDeliveries(stack.database.db, [row(`${marker}-old`, true)]);
    const results = await storeDeliveries(stack.database.db, [row(`${marker}-1`), row(`${marker}-old`), row(`${marker}-2`, true)]);
    expect(results.map((r) => (r.status === 'fulfilled' ? { duplicate: r.value.duplicate, dispatched: r.value.dispatched } : r.reason))).toEqual([
      { duplicate: false, dispatched: false },
      { duplicate: true, dispatched: true },
      { duplicate: false, dispatched: false },
    ]);
    const rows = await stack.database.sql`select dedupe_key, received_at::text, dispatched_at is not null as dispatched from modelregistry.webhook_events where payload->>'operator' = ${marker} and dedupe_key <> ${`${marker}-old`} order by dedupe_key`;
    expect(rows.map((r) => [r.dedupe_key, r.dispatched])).toEqual([[`${marker}-1`, false], [`${marker}-2`, true]]);
    expect(rows[0]!.received_at).toBe(rows[1]!.received_at); // one statement, one transaction
  });
});
