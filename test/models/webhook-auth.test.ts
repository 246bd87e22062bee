import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { INVALID_ROWS_PER_PROJECT, KEPT_BODY_BYTES } from '../../db/inbox/deliveries';
import { readJson } from '../support/http';
import { createTenant, onboardProject, startStackWithProject } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

/** The receiver authenticates a delivery by its Authorization header before it stores anything. */
describe('the webhook receiver authenticates first', () => {
  let stack: TestStack;
  let project: string;
  let projectId: string;
  let auth: string;
  beforeAll(async () => {
    ({ stack, project, projectId } = await startStackWithProject('hooks', { receiveWebhooks: true }));
    auth = await secretOf(project);
  });
  afterAll(() => stack.close());

  const secretOf = async (name: string) => {
    const [row] = await stack.database.sql`select webhook_secret from modelregistry.projects where name = ${name}`;
    return `Bearer ${stack.deps.secrets.open(row!.webhook_secret as string)}`;
  };
  /** Without the test stack's bearer token: `auth` is the only credential sent. */
  const post = async (body: string, authorization?: string, app = stack.app.raw) =>
    app.request('/api/v1/webhooks/harbor', { method: 'POST', headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) }, body });
  /** Inbox rows holding `marker` anywhere, or stored for this stack's registry. */
  const rowsWith = async (marker: string) =>
    (await stack.database.sql`select count(*)::int as n from modelregistry.webhook_events where raw_body like ${`%${marker}%`} or payload::text like ${`%${marker}%`}`)[0]!.n as number;
  const rowsOfStack = async () => (await stack.database.sql`select count(*)::int as n from modelregistry.webhook_events where source = ${`harbor:${stack.registry}`}`)[0]!.n as number;
  const push = (namespace: string, marker: string) => ({
    type: 'PUSH_ARTIFACT',
    occur_at: 1_800_000_000,
    operator: marker,
    event_data: { resources: [{ digest: `sha256:${'cd'.repeat(32)}`, tag: '1.0.0' }], repository: { name: 'm', namespace, repo_full_name: `${namespace}/m` } },
  });

  it('anonymous garbage is 401 and stores nothing', async () => {
    const marker = randomUUID();
    for (const authorization of [undefined, 'Bearer wrong', `Bearer ${stack.auth.adminToken}`]) {
      const malformed = await post(`{"garbage": "${marker}", `, authorization);
      expect(malformed.status).toBe(401);
      expect(malformed.headers.get('content-type')).toBe('application/problem+json');
      expect(malformed.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect((await post(JSON.stringify({ type: 'PUSH_ARTIFACT', marker }), authorization)).status).toBe(401);
      expect((await post(JSON.stringify(push(project, marker)), authorization)).status).toBe(401);
    }
    expect(await rowsWith(marker)).toBe(0);
  });

  it('authenticated garbage is 400 and one row, its body capped', async () => {
    const marker = randomUUID();
    const big = stack.appWith({ bodyLimitBytes: 1 << 20 }).raw;
    const body = `{"garbage": "${marker}", "pad": "${'x'.repeat(200 * 1024)}"`;
    const res = await post(body, auth, big);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect((await post(body, auth, big)).status).toBe(400);
    const rows = await stack.database.sql`select status, project_id, source, octet_length(raw_body) as kept, error, payload from modelregistry.webhook_events where raw_body like ${`%${marker}%`}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'invalid', project_id: projectId, source: `harbor:${stack.registry}`, kept: KEPT_BODY_BYTES, payload: null });
    expect(rows[0]!.error).toContain(`truncated: ${KEPT_BODY_BYTES} of ${Buffer.byteLength(body)} bytes kept`);

    // Valid JSON that is no Harbor payload: kept as raw text too, never as a large jsonb payload.
    const notHarbor = await post(JSON.stringify({ type: 'PUSH_ARTIFACT', marker }), auth);
    expect(notHarbor.status).toBe(400);
    expect((await readJson(notHarbor)).errors.map((e: { field: string }) => e.field)).toContain('body.occur_at');
    expect(await rowsWith(marker)).toBe(2);
  });

  it('a delivery with a NUL in any string is 400 naming the field, kept as raw text (PostgreSQL cannot store NUL)', async () => {
    const marker = randomUUID();
    const event = push(project, marker);
    (event.event_data.resources[0] as Record<string, string>).tag = '1.0.0\u0000x';
    const res = await post(JSON.stringify(event), auth);
    expect(res.status).toBe(400);
    expect((await readJson(res)).errors).toEqual([expect.objectContaining({ field: 'body.event_data.resources.0.tag' })]);
    const rows = await stack.database.sql`select status, payload from modelregistry.webhook_events where raw_body like ${`%${marker}%`}`;
    expect(rows).toEqual([{ status: 'invalid', payload: null }]);
  });

  it('a project keeps only its newest invalid rows', async () => {
    const marker = randomUUID();
    for (let i = 0; i < INVALID_ROWS_PER_PROJECT + 20; i++) expect((await post(`{"n": ${i}, "m": "${marker}"`, auth)).status).toBe(400);
    const kept = await stack.database.sql`select raw_body from modelregistry.webhook_events where project_id = ${projectId} and status = 'invalid' order by received_at`;
    expect(kept).toHaveLength(INVALID_ROWS_PER_PROJECT);
    expect(kept.at(-1)!.raw_body).toContain(`"n": ${INVALID_ROWS_PER_PROJECT + 19}`);
    expect(kept.some((r) => (r.raw_body as string).startsWith('{"n": 0,'))).toBe(false);
  });

  it('a valid secret for project A with a body naming project B is refused and not stored under B', async () => {
    const other = await onboardProject(stack, await createTenant(stack), { name: uniqueName('hooks-b') });
    const marker = randomUUID();
    const res = await post(JSON.stringify(push(other.project, marker)), auth);
    expect(res.status).toBe(403);
    expect((await readJson(res)).errors.map((e: { field: string }) => e.field)).toContain('body.event_data.repository.namespace');
    const rows = await stack.database.sql`select status, project_id from modelregistry.webhook_events where payload::text like ${`%${marker}%`} or raw_body like ${`%${marker}%`}`;
    expect(rows.every((r) => r.status === 'invalid' && r.project_id === projectId)).toBe(true);
    // B's own secret is accepted for B, right after its onboarding.
    expect(await readJson(await post(JSON.stringify(push(other.project, marker)), await secretOf(other.project)))).toMatchObject({ duplicate: false, status: 'queued' });
  });

  it('a flood of 1,000 anonymous bodies leaves the inbox unchanged', async () => {
    const marker = randomUUID();
    const before = await rowsOfStack();
    const bodies = Array.from({ length: 1000 }, (_, i) => (i % 2 === 0 ? `{"junk": "${marker}", "i": ${i}` : JSON.stringify(push(project, `${marker}-${i}`))));
    for (let i = 0; i < bodies.length; i += 100) {
      const answers = await Promise.all(bodies.slice(i, i + 100).map((b, j) => post(b, j % 3 === 0 ? undefined : `Bearer guess-${i + j}`)));
      expect(answers.map((r) => r.status)).toEqual(Array(answers.length).fill(401));
    }
    expect(await rowsOfStack()).toBe(before);
    expect(await rowsWith(marker)).toBe(0);
  });
});
