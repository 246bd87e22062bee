import { and, desc, eq, gte } from 'drizzle-orm';
import type { Db } from '../client';
import { auditEvents, images, signatures, signatureTypes, validationResults } from '../schema';
import { isoTime } from '../../lib/time';

/** Scan and signing results of a model's images and the event history of the model. */
export interface ModelAudit {
  scans: { digest: string; tag: string; scanner: string | null; status: string | null; severity: string | null; summary: unknown; endTime: string | null }[];
  signatures: { digest: string; signature: string; type: string }[];
  events: { action: string; actor: string | null; occurredAt: string; details: unknown }[];
}

/**
 * `resource` is the audit trail's name of the model (`models/<registry>/<project>/<model>`); the newest 500
 * events since `since`, the project's creation: a name a purged project left free is another tenant's
 * history before that, which the trail, keyed by name, still holds.
 */
export async function modelAudit(db: Db, modelId: string, resource: string, since: string): Promise<ModelAudit> {
  const scans = await db
    .select({ digest: images.digest, tag: validationResults.tag, scanner: validationResults.scannerName, status: validationResults.scanStatus, severity: validationResults.scanSeverity, summary: validationResults.scanSummary, endTime: validationResults.endTime })
    .from(validationResults)
    .innerJoin(images, eq(images.id, validationResults.imageId))
    .where(eq(images.modelId, modelId))
    .orderBy(desc(validationResults.endTime));
  const signed = await db
    .select({ digest: images.digest, signature: signatures.digest, type: signatureTypes.code })
    .from(signatures)
    .innerJoin(images, eq(images.id, signatures.imageId))
    .innerJoin(signatureTypes, eq(signatureTypes.id, signatures.typeId))
    .where(eq(images.modelId, modelId));
  const events = await db.select().from(auditEvents).where(and(eq(auditEvents.resource, resource), gte(auditEvents.occurredAt, since))).orderBy(desc(auditEvents.occurredAt)).limit(500);
  return {
    scans: scans.map((x) => ({ ...x, summary: x.summary ? (JSON.parse(x.summary) as unknown) : null, endTime: isoTime(x.endTime) })),
    signatures: signed,
    events: events.map((e) => ({ action: e.action, actor: e.actor, occurredAt: isoTime(e.occurredAt)!, details: e.details })),
  };
}
