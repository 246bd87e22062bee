import { createHash, timingSafeEqual } from 'node:crypto';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { and, eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { markDispatched, storeDelivery } from '../../db/inbox';
import { projects } from '../../db/schema';
import { parseHarborEvent } from '../../lib/harbor-events';
import type { SecretBox } from '../../lib/secrets';
import { DISPATCHED_TYPES, dispatchHarborEvent } from '../../lib/webhook-dispatch';
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
    200: { description: 'Stored (or a repeat of a stored delivery)', content: { 'application/json': { schema: z.object({ id: z.string(), duplicate: z.boolean(), status: z.string() }) } } },
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

/**
 * Stores each delivery in the inbox before answering (Harbor gives up after 3 tries), then
 * signals the repository's workflow. A crash between the two leaves an undispatched row.
 */
export function createWebhooksRouter(deps: { db: Db; client: Client; taskQueue: string; secrets: SecretBox }) {
  const router = new OpenAPIHono();
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
    if (!parsed.ok || !parsed.event.namespace || !parsed.event.repository) {
      const errors = parsed.ok ? [{ field: 'body.event_data.repository', message: 'required', code: 'invalid_type' }] : parsed.issues.map((i) => ({ ...i, code: 'invalid' }));
      const stored = await storeDelivery(deps.db, { source: 'harbor', dedupeKey: `raw:${digestOf(raw).toString('hex')}`, eventType: null, payload: body, rawBody: raw, status: 'invalid', error: JSON.stringify(errors) });
      return problemResponse(c, problemBody(400, 'validation', 'Not a Harbor webhook payload', `kept as inbox row ${stored.id}`, { errors }));
    }
    const event = parsed.event;

    // The project's own secret authenticates Harbor; compared in constant time.
    const candidates = await deps.db
      .select({ id: projects.id, registry: projects.harborAddress, secret: projects.webhookSecret })
      .from(projects)
      .where(and(eq(projects.name, event.namespace!), eq(projects.isArchived, false)));
    const presented = digestOf(c.req.header('authorization') ?? '');
    const project = candidates.find((p) => p.secret && timingSafeEqual(presented, digestOf(`Bearer ${deps.secrets.open(p.secret)}`)));
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
      await markDispatched(deps.db, stored.id, event.known ? 'stored' : 'ignored');
      return c.json({ id: stored.id, duplicate: stored.duplicate, status: event.known ? 'stored' : 'ignored' }, 200);
    }
    await dispatchHarborEvent(deps.client, deps.taskQueue, { registry: project.registry, projectId: project.id }, stored.id, event, eventData(body));
    await markDispatched(deps.db, stored.id, 'dispatched');
    return c.json({ id: stored.id, duplicate: stored.duplicate, status: 'dispatched' }, 200);
  });
  return router;
}
