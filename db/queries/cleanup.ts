import { and, desc, eq, inArray, isNull, like, lt, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { ACTIVE_CLEANUP_RUN_STATUSES, auditEvents, cleanupPolicies, cleanupRuns, images, manifests, models, modelVersionLocations, projects, type CleanupRunStatus, type CleanupRunSummary } from '../schema';
import type { CleanupMode, CleanupPolicy, CleanupReport } from '../../lib/cleanup/types';
import { isoTime } from '../../lib/time';
import { escapeLike, pageOf, sortKeyOf, type Page, type SortKey } from './page';

export { CLEANUP_RUN_STATUSES, type CleanupRunStatus, type CleanupRunSummary } from '../schema/cleanup';

/** A stored cleanup policy: a project's own, or its tenant's default (`project` null). */
export interface CleanupPolicyRecord {
  id: string;
  tenant: string;
  projectId: string | null;
  policy: CleanupPolicy;
  harborRetentionId: number | null;
  updatedBy: string | null;
  updatedAt: string;
}

const toPolicyRecord = (row: typeof cleanupPolicies.$inferSelect): CleanupPolicyRecord => ({
  id: row.id,
  tenant: row.tenantId,
  projectId: row.projectId,
  policy: row.policy,
  harborRetentionId: row.harborRetentionId,
  updatedBy: row.updatedBy,
  updatedAt: isoTime(row.updatedAt) ?? row.updatedAt,
});

export async function findProjectCleanupPolicy(db: Db | Tx, projectId: string): Promise<CleanupPolicyRecord | null> {
  const [row] = await db.select().from(cleanupPolicies).where(eq(cleanupPolicies.projectId, projectId)).limit(1);
  return row ? toPolicyRecord(row) : null;
}

export async function findTenantCleanupPolicy(db: Db | Tx, tenant: string): Promise<CleanupPolicyRecord | null> {
  const [row] = await db.select().from(cleanupPolicies).where(and(eq(cleanupPolicies.tenantId, tenant), isNull(cleanupPolicies.projectId))).limit(1);
  return row ? toPolicyRecord(row) : null;
}

/** The live projects of a tenant (on every Harbor instance), by name. */
export async function tenantProjects(db: Db | Tx, tenant: string): Promise<{ id: string; name: string; registry: string; harborId: number | null }[]> {
  return db
    .select({ id: projects.id, name: projects.name, registry: projects.harborAddress, harborId: projects.harborId })
    .from(projects)
    .where(and(eq(projects.tenantId, tenant), eq(projects.isArchived, false)))
    .orderBy(projects.name);
}

/** A cleanup run as the API shows it; `progress` is added from the workflow while it runs. */
export interface CleanupRunRecord {
  id: string;
  workflowId: string;
  projectId: string;
  trigger: 'manual' | 'schedule';
  dryRun: boolean;
  mode: CleanupMode;
  status: CleanupRunStatus;
  requestedBy: string | null;
  approvedBy: string | null;
  total: number;
  done: number;
  bytesFreed: number;
  summary: CleanupRunSummary | null;
  report: CleanupReport | null;
  detail: string | null;
  startedAt: string;
  endedAt: string | null;
}

export const toCleanupRunRecord = (row: typeof cleanupRuns.$inferSelect): CleanupRunRecord => ({
  id: row.id,
  workflowId: row.workflowId,
  projectId: row.projectId,
  trigger: row.trigger,
  dryRun: row.dryRun,
  mode: row.mode,
  status: row.status,
  requestedBy: row.requestedBy,
  approvedBy: row.approvedBy,
  total: row.total,
  done: row.done,
  bytesFreed: row.bytesFreed,
  // Rows of before 2026-12 carry an always-empty `skipped` too.
  summary: row.summary && { removed: row.summary.removed, failures: row.summary.failures, ...(row.summary.kept?.length ? { kept: row.summary.kept } : {}) },
  report: row.report,
  detail: row.detail,
  startedAt: isoTime(row.startedAt) ?? row.startedAt,
  endedAt: isoTime(row.endedAt),
});

export async function findCleanupRun(db: Db | Tx, projectId: string, id: string): Promise<CleanupRunRecord | null> {
  const [row] = await db.select().from(cleanupRuns).where(and(eq(cleanupRuns.projectId, projectId), eq(cleanupRuns.id, id))).limit(1);
  return row ? toCleanupRunRecord(row) : null;
}

/** The run holding the project now (preparing, awaiting approval or running), if any. */
export async function findActiveCleanupRun(db: Db | Tx, projectId: string): Promise<CleanupRunRecord | null> {
  const [row] = await db
    .select()
    .from(cleanupRuns)
    .where(and(eq(cleanupRuns.projectId, projectId), inArray(cleanupRuns.status, [...ACTIVE_CLEANUP_RUN_STATUSES])))
    .limit(1);
  return row ? toCleanupRunRecord(row) : null;
}

/** A project's runs, newest first (keyset on started_at, id); without their reports (null), which can be large. */
export async function listCleanupRuns(db: Db, projectId: string, q: { after?: SortKey; limit: number }): Promise<Page<CleanupRunRecord>> {
  const after = q.after && or(lt(cleanupRuns.startedAt, q.after.value), and(eq(cleanupRuns.startedAt, q.after.value), lt(cleanupRuns.id, q.after.id)));
  const rows = await db
    .select()
    .from(cleanupRuns)
    .where(and(eq(cleanupRuns.projectId, projectId), after))
    .orderBy(desc(cleanupRuns.startedAt), desc(cleanupRuns.id))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => sortKeyOf(r.startedAt, r.id), (r) => toCleanupRunRecord({ ...r, report: null }));
}

/** What the catalogue knows of a project's artifacts that Harbor does not say: see `cleanupCatalogueFacts`. */
export interface CleanupCatalogueFacts {
  /** Per model name: when it was archived, for a model with no live row. */
  archivedModels: Record<string, string>;
  /**
   * Per `model@digest`: approval, the manifest's content (layers and config) and, when a refresh
   * read it, when and Harbor's pull time before (see the `manifests` columns).
   */
  images: Record<string, { approved: boolean; manifest: string | null; readAt: string | null; pulledBefore: string | null }>;
  /** `model:tag` of every `present` location, with the local digest it was recorded for. */
  promoted: Record<string, string | null>;
  /** Per `model@digest`: the audit trail's last pull (Harbor's PULL_ARTIFACT webhooks, model.pulled). */
  lastPulls: Record<string, string>;
}

export async function cleanupCatalogueFacts(db: Db | Tx, project: { id: string; name: string; registry: string }): Promise<CleanupCatalogueFacts> {
  const modelRows = await db.select({ name: models.name, archived: models.isArchived, deletedAt: models.deletedAt }).from(models).where(eq(models.projectId, project.id));
  const live = new Set(modelRows.filter((m) => !m.archived).map((m) => m.name));
  const archivedModels: Record<string, string> = {};
  for (const m of modelRows) {
    const at = isoTime(m.deletedAt);
    if (m.archived && !live.has(m.name) && at && (!archivedModels[m.name] || archivedModels[m.name]! < at)) archivedModels[m.name] = at;
  }

  // Live images first, so that a digest's live row wins over an archived one.
  const imageRows = await db
    .select({ model: models.name, digest: images.digest, approved: images.isApproved, manifest: manifests.content, readAt: manifests.readAt, pulledBefore: manifests.pulledBefore })
    .from(images)
    .innerJoin(models, eq(models.id, images.modelId))
    .leftJoin(manifests, and(eq(manifests.imageId, images.id), eq(manifests.isArchived, false)))
    .where(eq(models.projectId, project.id))
    .orderBy(images.isArchived);
  const imageFacts: CleanupCatalogueFacts['images'] = {};
  for (const r of imageRows) {
    const key = `${r.model}@${r.digest}`;
    const seen = imageFacts[key];
    const read = { manifest: r.manifest, readAt: isoTime(r.readAt) ?? null, pulledBefore: isoTime(r.pulledBefore) ?? null };
    if (!seen) imageFacts[key] = { approved: r.approved, ...read };
    else if (!seen.manifest && r.manifest) Object.assign(seen, read);
  }

  const locations = await db
    .select({ model: modelVersionLocations.modelName, tag: modelVersionLocations.tag, digest: modelVersionLocations.localDigest })
    .from(modelVersionLocations)
    .where(and(eq(modelVersionLocations.projectId, project.id), eq(modelVersionLocations.status, 'present')));
  const promoted = Object.fromEntries(locations.map((l) => [`${l.model}:${l.tag}`, l.digest]));

  const prefix = `models/${project.registry}/${project.name}/`;
  const pulls = await db
    .select({ resource: auditEvents.resource, digest: sql<string>`${auditEvents.details}->>'digest'`, at: sql<string>`max(${auditEvents.occurredAt})` })
    .from(auditEvents)
    .where(and(eq(auditEvents.action, 'model.pulled'), like(auditEvents.resource, `${escapeLike(prefix)}%`)))
    .groupBy(auditEvents.resource, sql`${auditEvents.details}->>'digest'`);
  const lastPulls = Object.fromEntries(pulls.filter((p) => p.digest).map((p) => [`${p.resource.slice(prefix.length)}@${p.digest}`, isoTime(p.at)!]));

  return { archivedModels, images: imageFacts, promoted, lastPulls };
}

/**
 * The protections a version gained since a run's report was made, as the report reads them for the
 * whole artifact: approved (any image of the model with that digest), or present on a remote
 * registry (promoted) under any tag with that digest, or under its own tag with no digest recorded.
 * A run checks each candidate so just before removing it.
 */
export async function protectionsNow(db: Db | Tx, v: { projectId: string; model: string; tag: string | null; digest: string }): Promise<('approved' | 'promoted')[]> {
  const [approved] = await db
    .select({ id: images.id })
    .from(images)
    .innerJoin(models, eq(models.id, images.modelId))
    .where(and(eq(models.projectId, v.projectId), eq(models.name, v.model), eq(images.digest, v.digest), eq(images.isApproved, true), eq(images.isArchived, false)))
    .limit(1);
  const underTag = v.tag === null ? undefined : and(eq(modelVersionLocations.tag, v.tag), isNull(modelVersionLocations.localDigest));
  const [promoted] = await db
    .select({ id: modelVersionLocations.id })
    .from(modelVersionLocations)
    .where(
      and(
        eq(modelVersionLocations.projectId, v.projectId),
        eq(modelVersionLocations.modelName, v.model),
        eq(modelVersionLocations.status, 'present'),
        or(eq(modelVersionLocations.localDigest, v.digest), underTag),
      ),
    )
    .limit(1);
  return [...(approved ? (['approved'] as const) : []), ...(promoted ? (['promoted'] as const) : [])];
}
