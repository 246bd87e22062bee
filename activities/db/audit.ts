import { and, eq, inArray, max } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { auditEvents, tenants } from '../../db/schema';
import { isoTime } from '../../lib/time';

/** The audit trail the workflows write (model, project and user changes). */
export function createAuditActivities({ db }: { db: Db }) {
  return {
    /** One row per event key, so a retried activity does not audit twice. */
    async recordAudit(input: { eventKey: string; actor: string | null; action: string; resource: string; details: Record<string, unknown> }) {
      await db.insert(auditEvents).values(input).onConflictDoNothing({ target: auditEvents.eventKey });
    },

    /**
     * When this service last created a Keycloak account of that name (its `user.created` audit row, in
     * any tenant), or null: an account it did not create is never its to delete.
     */
    async userCreatedByServiceAt(username: string): Promise<string | null> {
      const names = (await db.select({ name: tenants.name }).from(tenants)).map((t) => `tenants/${t.name}/users/${username}`);
      if (names.length === 0) return null;
      const [row] = await db.select({ at: max(auditEvents.occurredAt) }).from(auditEvents).where(and(eq(auditEvents.action, 'user.created'), inArray(auditEvents.resource, names)));
      return isoTime(row?.at ?? null);
    },
  };
}
