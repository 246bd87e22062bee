import { createRoute, z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { markDispatched, storeDeliveries, storeInvalid, type DeliveryRow } from '../../db/inbox/deliveries';
import { createBatcher } from '../../lib/batcher';
import { parseHarborEvent } from '../../lib/harbor-events';
import { nulPath } from '../../lib/text';
import { DISPATCHED_TYPES, REPOSITORY_TYPES } from '../../activities/temporal/dispatch';
import type { Metrics } from '../metrics';
import type { WebhookDispatcher } from '../webhook-dispatcher';
import type { WebhookSenders } from '../webhook-senders';
import { problemBody, problemResponse } from '../problem';
import { createRouter } from '../router';
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
    400: problem('Not a Harbor webhook payload (its first 64 KiB kept in the inbox for inspection)'),
    401: problem('The Authorization header is no managed project\'s webhook secret; nothing is stored'),
    403: problem('The delivery names another project than the one whose secret it carries (kept under the sender)'),
  },
});

/** Deliveries stored by one INSERT at most: a burst is a few statements, none of them huge. */
const MAX_BATCH = 128;
/**
 * INSERTs in flight at once: with two, a delivery arriving just after a flush started is stored by
 * the next one at once, not after that flush's round trip; the pool has connections to spare.
 */
const FLUSHES = 2;

/** Harbor's `event_data` (Default) or `data` (CloudEvents). */
const eventData = (body: unknown) => {
  const b = body as { event_data?: unknown; data?: unknown };
  return b.event_data ?? b.data ?? null;
};

/**
 * Authenticates each delivery by its Authorization header before reading it, stores it in the
 * inbox and answers as soon as it is committed (Harbor gives up after 3 tries); the dispatcher then
 * signals the repository's workflow. A crash in between leaves an undispatched row, which the
 * sweeper Schedule dispatches. Only an authenticated sender's rejected bodies are kept, capped.
 * Group commit: the deliveries that arrive while an insert runs are stored together by the next
 * one, and each answer waits for its own batch's commit.
 */
export function createWebhooksRouter(deps: { db: Db; senders: WebhookSenders; dispatcher: WebhookDispatcher; metrics: Metrics }) {
  const router = createRouter();
  const inbox = createBatcher((rows: DeliveryRow[]) => storeDeliveries(deps.db, rows), { maxBatch: MAX_BATCH, concurrency: FLUSHES });
  router.openapi(receive, async (c) => {
    const sender = await deps.senders.authenticate(c.req.header('authorization'));
    if (!sender) {
      deps.metrics.webhookDeliveries.inc({ outcome: 'rejected', reason: 'unauthorized' });
      return problemResponse(c, problemBody(401, 'unauthorized', 'Unauthorized', 'the Authorization header is no managed project\'s webhook secret'), {
        'www-authenticate': 'Bearer realm="harbor-webhooks"',
      });
    }
    const source = `harbor:${sender.registry}`;
    const raw = await c.req.text();
    const reject = async (status: 400 | 403, title: string, errors: { field: string; message: string; code: string }[]) => {
      deps.metrics.webhookDeliveries.inc({ outcome: 'rejected', reason: status === 403 ? 'other_project' : 'invalid' });
      const stored = await storeInvalid(deps.db, { source, projectId: sender.id, raw, error: JSON.stringify(errors).slice(0, 4096) });
      return problemResponse(c, problemBody(status, status === 403 ? 'forbidden' : 'validation', title, `kept as inbox row ${stored.id}`, { errors }));
    };

    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch {
      return reject(400, 'Malformed JSON in webhook body', [{ field: 'body', message: 'malformed JSON', code: 'invalid' }]);
    }
    // Only when the text escapes a NUL at all: the walk stays off the fast path.
    const nul = /\\u0000/i.test(raw) ? nulPath(body) : undefined;
    if (nul !== undefined) return reject(400, 'Not a Harbor webhook payload', [{ field: `body.${nul}`, message: 'must not contain NUL (U+0000)', code: 'invalid' }]);
    const parsed = parseHarborEvent(body);
    if (!parsed.ok) return reject(400, 'Not a Harbor webhook payload', parsed.issues.map((i) => ({ ...i, code: 'invalid' })));
    const event = parsed.event;
    // A repository is needed only for the events of one; the project is always the authenticated one.
    if (REPOSITORY_TYPES.has(event.type) && !event.repository) {
      return reject(400, 'Not a Harbor webhook payload', [{ field: 'body.event_data.repository', message: 'required', code: 'invalid_type' }]);
    }
    if (!event.namespace) {
      return reject(400, 'Not a Harbor webhook payload', [{ field: 'body.event_data', message: 'names no project (repository.namespace, the local side of replication, or retention.project_name)', code: 'invalid' }]);
    }
    if (event.namespace !== sender.name) {
      const field = event.repository ? 'body.event_data.repository.namespace' : 'body.event_data';
      return reject(403, 'Delivery for another project', [{ field, message: `the Authorization header is the webhook secret of another project than "${event.namespace}"`, code: 'forbidden' }]);
    }

    const dispatch = event.known && DISPATCHED_TYPES.has(event.type);
    const settledStatus = event.known ? 'stored' : 'ignored';
    // A delivery no workflow takes is stored as handed over, by the same statement.
    const stored = await inbox.submit({
      source,
      projectId: sender.id,
      dedupeKey: event.dedupeKey,
      eventType: event.type,
      payload: body,
      rawBody: null,
      status: dispatch ? 'received' : settledStatus,
      settled: !dispatch,
    });
    deps.metrics.webhookDeliveries.inc({ outcome: stored.duplicate ? 'duplicate' : 'received' });
    if (stored.dispatched) return c.json({ id: stored.id, duplicate: stored.duplicate, status: 'dispatched' }, 200);
    if (!dispatch) {
      // A repeat of a row not yet marked (a repeat in its own batch, or a row stored before settled rows were).
      if (stored.duplicate) await markDispatched(deps.db, [stored.id], settledStatus);
      return c.json({ id: stored.id, duplicate: stored.duplicate, status: settledStatus }, 200);
    }
    // Committed: answer now. A repeat of a row still queued is not queued twice (the sweeper backs both up).
    if (!stored.duplicate) deps.dispatcher.enqueue({ target: { registry: sender.registry, projectId: sender.id }, inboxId: stored.id, event, details: eventData(body) });
    return c.json({ id: stored.id, duplicate: stored.duplicate, status: 'queued' }, 200);
  });
  return router;
}
