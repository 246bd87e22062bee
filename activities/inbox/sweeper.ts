import type { Client } from '@temporalio/client';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { markDispatched } from '../../db/inbox/deliveries';
import { projects, webhookEvents } from '../../db/schema';
import { parseHarborEvent } from '../../lib/harbor-events';
import { dispatchHarborEvents, REPOSITORY_TYPES, type Delivery } from '../temporal/dispatch';

/**
 * Re-dispatches inbox rows that were stored but never handed to Temporal (the API died between
 * its commit and its signal), and repository events handed over but still not applied after
 * `staleAfterSeconds` (their workflow failed or was terminated with them pending; a project-level
 * event has a workflow of its own, started once). Applying an
 * event again converges on Harbor, so a slow backlog re-sent costs work, never correctness.
 * Talks to PostgreSQL and to Temporal itself.
 */
export function createInboxActivities(deps: { db: Db; temporal: { client: Client; taskQueue: string } }) {
  return {
    async redispatchWebhookEvents(minAgeSeconds: number, source?: string, limit = 500, staleAfterSeconds = 600): Promise<{ dispatched: number; orphaned: number }> {
      const rows = await deps.db
        .select()
        .from(webhookEvents)
        .where(
          and(
            or(
              and(isNull(webhookEvents.dispatchedAt), eq(webhookEvents.status, 'received'), lt(webhookEvents.receivedAt, sql`now() - make_interval(secs => ${minAgeSeconds})`)),
              and(
                eq(webhookEvents.status, 'dispatched'),
                inArray(webhookEvents.eventType, [...REPOSITORY_TYPES]),
                lt(webhookEvents.dispatchedAt, sql`now() - make_interval(secs => ${staleAfterSeconds})`),
              ),
            ),
            source === undefined ? undefined : eq(webhookEvents.source, source),
          ),
        )
        .orderBy(webhookEvents.receivedAt)
        .limit(limit);
      const deliveries: Delivery[] = [];
      const orphaned: string[] = [];
      for (const row of rows) {
        const parsed = parseHarborEvent(row.payload);
        const registry = row.source.replace(/^harbor:/, '');
        const [project] =
          parsed.ok && parsed.event.namespace
            ? await deps.db
                .select({ id: projects.id })
                .from(projects)
                .where(and(eq(projects.harborAddress, registry), eq(projects.name, parsed.event.namespace), eq(projects.isArchived, false)))
                .limit(1)
            : [];
        if (!parsed.ok || !project || (REPOSITORY_TYPES.has(parsed.event.type) && !parsed.event.repository)) {
          orphaned.push(row.id);
          continue;
        }
        const body = row.payload as { event_data?: unknown; data?: unknown } | null;
        deliveries.push({ target: { registry, projectId: project.id }, inboxId: row.id, event: parsed.event, details: body?.event_data ?? body?.data ?? null });
      }
      await markDispatched(deps.db, orphaned, 'orphaned');
      // In chunks, so that a failure leaves the rest for the next sweep without re-sending much.
      for (let i = 0; i < deliveries.length; i += 100) {
        const chunk = deliveries.slice(i, i + 100);
        await dispatchHarborEvents(deps.temporal.client, deps.temporal.taskQueue, chunk);
        await markDispatched(deps.db, chunk.map((d) => d.inboxId), 'dispatched');
      }
      return { dispatched: deliveries.length, orphaned: orphaned.length };
    },
  };
}
