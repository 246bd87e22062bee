import { createHash, timingSafeEqual } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { markDispatched, storeDelivery } from '../../db/inbox';
import { projects } from '../../db/schema';
import { parseHarborEvent } from '../../lib/harbor-events';
import type { SecretBox } from '../../lib/secrets';
import { DISPATCHED_TYPES, REPOSITORY_TYPES } from '../../lib/webhook-dispatch';
import type { WebhookDispatcher } from '../webhook-dispatcher';
import { problemBody, problemResponse } from '../problem';
import { problem } from '../schemas/common';

const receive = createRoute({
  method: 'post',
  path: '/webhooks/harbor',
  tags: ['Webhooks'],
  summary: 'Harbor webhook receiver; authenticated by the project\'s webhook secret',
  // The body is read raw (not declared), so that a malformed delivery is still kept for inspection.
  description: 'Takes Harbor\'s Default (`application/json`) and CloudEvents (`application/cloudevents+json`) payloads.',
  responses: {
    200: { description: 'Stored (or a repeat of a stored delivery); `queued` ones are handed to Temporal right after', content: { 'application/json': { schema: z.object({ id: z.string(), duplicate: z.boolean(), status: z.string() }) } } },
    400: problem('Not a Harbor webhook payload (kept in the inbox for inspection)'),
    401: problem('Missing or wrong Authorization for the project'),
  },
});

const digestOf = (s: string) => createHash('sha256').update(s).digest();

/** Harbor's `event_data` (Default) or `data` (CloudEvents). */
const eventData = (body: unknown) => {
  const b = body as { event_data?: unknown; data?: unknown };
  return b.event_data ?? b.data ?? null;
};

interface Candidate {
  id: string;
  registry: string;
  /** SHA-256 of the Authorization header Harbor must send: the clear secret is not kept. */
  expected: Buffer;
}
const CANDIDATE_TTL_MS = 30_000;

/**
 * Stores each delivery in the inbox and answers as soon as it is committed (Harbor gives up after
 * 3 tries); the dispatcher then signals the repository's workflow. A crash in between leaves an
 * undispatched row, which the sweeper Schedule dispatches.
 */
export function createWebhooksRouter(deps: { db: Db; secrets: SecretBox; dispatcher: WebhookDispatcher }) {
  const router = new OpenAPIHono();
  // The projects of a name and their expected headers, briefly cached: a delivery costs one insert.
  const cache = new Map<string, { until: number; candidates: Candidate[] }>();
  async function candidatesOf(namespace: string, fresh = false): Promise<Candidate[]> {
    const hit = cache.get(namespace);
    if (hit && !fresh && hit.until > Date.now()) return hit.candidates;
    if (fresh && hit && hit.until - CANDIDATE_TTL_MS + 1000 > Date.now()) return hit.candidates; // just reloaded: no DB hammering by bad headers
    const rows = await deps.db
      .select({ id: projects.id, registry: projects.harborAddress, secret: projects.webhookSecret })
      .from(projects)
      .where(and(eq(projects.name, namespace), eq(projects.isArchived, false)));
    const candidates = rows.filter((r) => r.secret).map((r) => ({ id: r.id, registry: r.registry, expected: digestOf(`Bearer ${deps.secrets.open(r.secret!)}`) }));
    if (cache.size > 10_000) cache.clear();
    cache.set(namespace, { until: Date.now() + CANDIDATE_TTL_MS, candidates });
    return candidates;
  }
  router.openapi(receive, async (c) => {
    const raw = await c.req.text();
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      const stored = await storeDelivery(deps.db, { source: 'harbor', dedupeKey: `raw:${digestOf(raw).toString('hex')}`, eventType: null, payload: null, rawBody: raw, status: 'invalid', error: 'malformed JSON' });
      return problemResponse(c, problemBody(400, 'bad-request', 'Malformed JSON in webhook body', `kept as inbox row ${stored.id}`));
    }
    const parsed = parseHarborEvent(body);
    // A project is needed to authenticate; a repository only for the events of one.
    const needsRepository = parsed.ok && REPOSITORY_TYPES.has(parsed.event.type);
    if (!parsed.ok || !parsed.event.namespace || (needsRepository && !parsed.event.repository)) {
      const errors = !parsed.ok
        ? parsed.issues.map((i) => ({ ...i, code: 'invalid' }))
        : needsRepository
          ? [{ field: 'body.event_data.repository', message: 'required', code: 'invalid_type' }]
          : [{ field: 'body.event_data', message: 'names no project (repository.namespace, the local side of replication, or retention.project_name)', code: 'invalid' }];
      const stored = await storeDelivery(deps.db, { source: 'harbor', dedupeKey: `raw:${digestOf(raw).toString('hex')}`, eventType: null, payload: body, rawBody: raw, status: 'invalid', error: JSON.stringify(errors) });
      return problemResponse(c, problemBody(400, 'validation', 'Not a Harbor webhook payload', `kept as inbox row ${stored.id}`, { errors }));
    }
    const event = parsed.event;

    // The project's own secret authenticates Harbor; compared in constant time.
    const presented = digestOf(c.req.header('authorization') ?? '');
    const matching = (list: Candidate[]) => list.find((p) => timingSafeEqual(presented, p.expected));
    const project = matching(await candidatesOf(event.namespace!)) ?? matching(await candidatesOf(event.namespace!, true));
    if (!project) {
      return problemResponse(c, problemBody(401, 'unauthorized', 'Unauthorized', 'the Authorization header does not match the project\'s webhook secret'), {
        'www-authenticate': 'Bearer realm="harbor-webhooks"',
      });
    }

    const dispatch = event.known && DISPATCHED_TYPES.has(event.type);
    const stored = await storeDelivery(deps.db, {
      source: `harbor:${project.registry}`,
      dedupeKey: event.dedupeKey,
      eventType: event.type,
      payload: body,
      rawBody: null,
      status: event.known ? 'received' : 'ignored',
    });
    if (stored.dispatched) return c.json({ id: stored.id, duplicate: stored.duplicate, status: 'dispatched' }, 200);
    if (!dispatch) {
      await markDispatched(deps.db, [stored.id], event.known ? 'stored' : 'ignored');
      return c.json({ id: stored.id, duplicate: stored.duplicate, status: event.known ? 'stored' : 'ignored' }, 200);
    }
    // Committed: answer now. A repeat of a row still queued is not queued twice (the sweeper backs both up).
    if (!stored.duplicate) deps.dispatcher.enqueue({ target: { registry: project.registry, projectId: project.id }, inboxId: stored.id, event, details: eventData(body) });
    return c.json({ id: stored.id, duplicate: stored.duplicate, status: 'queued' }, 200);
  });
  return router;
}
