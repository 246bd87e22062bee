import type { Db } from '../../db/client';
import { auditEvents } from '../../db/schema';

/** The audit trail the workflows write (model, project and user changes). */
export function createAuditActivities({ db }: { db: Db }) {
  return {
    /** One row per event key, so a retried activity does not audit twice. */
    async recordAudit(input: { eventKey: string; actor: string | null; action: string; resource: string; details: Record<string, unknown> }) {
      await db.insert(auditEvents).values(input).onConflictDoNothing({ target: auditEvents.eventKey });
    },
  };
}
