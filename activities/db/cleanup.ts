import { and, eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { findActiveCleanupRun, findCleanupRun, findProjectCleanupPolicy, findTenantCleanupPolicy, protectionsNow, tenantProjects, toCleanupRunRecord, type CleanupPolicyRecord, type CleanupRunRecord } from '../../db/queries/cleanup';
import { findLiveProject } from '../../db/queries/projects';
import { auditEvents, cleanupPolicies, cleanupRuns, images, tags, type CleanupRunStatus, type CleanupRunSummary } from '../../db/schema';
import type { CleanupCandidate, CleanupPolicy, CleanupReport } from '../../lib/cleanup/types';
import { notFound } from '../../lib/failure-types';
import { existingLiveRepository, reconcileArtifactsIn } from './catalogue-import';

const UNIQUE_VIOLATION = '23505';

/** What a cleanup workflow needs to know of a project: its ids, its own policy and its tenant's default. */
export interface CleanupProjectContext {
  project: { id: string; name: string; registry: string; tenant: string; harborId: number | null };
  own: CleanupPolicyRecord | null;
  tenantDefault: CleanupPolicyRecord | null;
}

/** What a run's first step writes of its row. */
export type CleanupRunClaim = Pick<CleanupRunRecord, 'id' | 'workflowId' | 'projectId' | 'trigger' | 'dryRun' | 'mode' | 'requestedBy'>;

export interface CleanupRunPatch {
  status?: CleanupRunStatus;
  dryRun?: boolean;
  approvedBy?: string;
  total?: number;
  done?: number;
  bytesFreed?: number;
  summary?: CleanupRunSummary;
  report?: CleanupReport;
  detail?: string;
  /** A final status: the run's end time is set. */
  ended?: boolean;
}

export interface ArchivedVersion {
  projectId: string;
  project: string;
  model: string;
  digest: string;
  tag: string | null;
  action: 'untag' | 'delete';
}

/** Already archived (or never catalogued): nothing to do. */
async function archiveVersion(tx: Tx, v: ArchivedVersion): Promise<void> {
  const live = await existingLiveRepository(tx, v.projectId, `${v.project}/${v.model}`);
  if (!live) return;
  if (v.action === 'delete') {
    await reconcileArtifactsIn(tx, { repositoryId: live.repository.id, modelId: live.model.id }, new Map([[v.digest, null]]));
    return;
  }
  const [image] = await tx.select({ id: images.id }).from(images).where(and(eq(images.repositoryId, live.repository.id), eq(images.digest, v.digest), eq(images.isArchived, false))).limit(1);
  if (!image || v.tag === null) return;
  await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(and(eq(tags.imageId, image.id), eq(tags.name, v.tag), eq(tags.isArchived, false)));
}

/** Cleanup policies and runs in the catalogue, and the catalogue's side of a removed version. */
export function createCleanupActivities({ db }: { db: Db }) {
  return {
    async cleanupProjectContext(registry: string, project: string): Promise<CleanupProjectContext> {
      const found = await findLiveProject(db, registry, project);
      if (!found) throw notFound(`no project "${project}" in ${registry}`);
      const [own, tenantDefault] = await Promise.all([findProjectCleanupPolicy(db, found.id), findTenantCleanupPolicy(db, found.tenantId)]);
      return { project: { id: found.id, name: found.name, registry: found.registry, tenant: found.tenantId, harborId: found.harborId }, own, tenantDefault };
    },

    async tenantCleanupContext(tenant: string): Promise<{ tenantDefault: CleanupPolicyRecord | null; projects: { id: string; name: string; registry: string; harborId: number | null; inherits: boolean }[] }> {
      const [tenantDefault, all] = await Promise.all([findTenantCleanupPolicy(db, tenant), tenantProjects(db, tenant)]);
      const owning = new Set((await db.select({ projectId: cleanupPolicies.projectId }).from(cleanupPolicies).where(eq(cleanupPolicies.tenantId, tenant))).map((r) => r.projectId));
      return { tenantDefault, projects: all.map((p) => ({ ...p, inherits: !owning.has(p.id) })) };
    },

    /** Stores a project's policy, or the tenant's default when `projectId` is null: one row each, replaced whole. */
    async saveCleanupPolicy(input: { tenant: string; projectId: string | null; policy: CleanupPolicy; updatedBy: string | null }): Promise<CleanupPolicyRecord> {
      const values = { tenantId: input.tenant, projectId: input.projectId, policy: input.policy, updatedBy: input.updatedBy };
      const set = { policy: input.policy, updatedBy: input.updatedBy, updatedAt: sql`now()` };
      if (input.projectId === null) {
        await db.insert(cleanupPolicies).values(values).onConflictDoUpdate({ target: cleanupPolicies.tenantId, targetWhere: sql`${cleanupPolicies.projectId} is null`, set });
        return (await findTenantCleanupPolicy(db, input.tenant))!;
      }
      await db.insert(cleanupPolicies).values(values).onConflictDoUpdate({ target: cleanupPolicies.projectId, targetWhere: sql`${cleanupPolicies.projectId} is not null`, set });
      return (await findProjectCleanupPolicy(db, input.projectId))!;
    },

    /** Deletes a project's own policy (the project then inherits); already gone is fine. */
    async deleteCleanupPolicy(policyId: string): Promise<void> {
      await db.delete(cleanupPolicies).where(eq(cleanupPolicies.id, policyId));
    },

    async setCleanupPolicyRetention(policyId: string, harborRetentionId: number | null): Promise<void> {
      await db.update(cleanupPolicies).set({ harborRetentionId }).where(eq(cleanupPolicies.id, policyId));
    },

    /**
     * Inserts the run's row, which claims the project: the partial unique index admits one active
     * run per project. A retry finding its own row has it; another active run is named instead.
     */
    async claimCleanupRun(claim: CleanupRunClaim): Promise<{ claimed: true; run: CleanupRunRecord } | { claimed: false; active: CleanupRunRecord | null }> {
      try {
        const [row] = await db.insert(cleanupRuns).values({ ...claim, status: 'preparing' }).returning();
        return { claimed: true, run: toCleanupRunRecord(row!) };
      } catch (err) {
        if ((err as { code?: string }).code !== UNIQUE_VIOLATION) throw err;
        const mine = await findCleanupRun(db, claim.projectId, claim.id);
        if (mine) return { claimed: true, run: mine };
        return { claimed: false, active: await findActiveCleanupRun(db, claim.projectId) };
      }
    },

    async updateCleanupRun(id: string, patch: CleanupRunPatch): Promise<void> {
      const { ended, ...fields } = patch;
      await db.update(cleanupRuns).set({ ...fields, ...(ended ? { endedAt: sql`now()` } : {}) }).where(eq(cleanupRuns.id, id));
    },

    /**
     * Candidates `[offset, offset + limit)` of the report stored on the run's row: a run reads its
     * work a window at a time, as thousands of candidates do not fit a workflow's payloads.
     */
    async cleanupRunCandidates(runId: string, offset: number, limit: number): Promise<CleanupCandidate[]> {
      const rows = await db.execute<{ c: CleanupCandidate }>(sql`
        select t.c from ${cleanupRuns} r cross join lateral jsonb_array_elements(r.report->'candidates') with ordinality as t(c, n)
        where r.id = ${runId} and t.n > ${offset} and t.n <= ${offset + limit} order by t.n`);
      return rows.map((r) => r.c);
    },

    /**
     * Ends a run: its final status and counts, and its summary made from the stored report's first
     * `done` candidates (those the run went through, in order) less the failed ones; the workflow
     * carries only the positions of failures and of versions Harbor no longer had.
     */
    async endCleanupRun(input: { runId: string; status: CleanupRunStatus; done: number; bytesFreed: number; failed: { at: number; error: string }[]; alreadyGone: number[]; kept?: { at: number; protections: ('approved' | 'promoted')[] }[] }): Promise<void> {
      const [row] = await db.select({ report: cleanupRuns.report }).from(cleanupRuns).where(eq(cleanupRuns.id, input.runId));
      const candidates = row?.report?.candidates.slice(0, input.done) ?? [];
      const failed = new Map(input.failed.map((f) => [f.at, f.error]));
      const gone = new Set(input.alreadyGone);
      const kept = input.kept ?? [];
      const keptAt = new Set(kept.map((k) => k.at));
      const version = (c: CleanupCandidate) => ({ model: c.model, tag: c.tag, digest: c.digest });
      const summary: CleanupRunSummary = {
        removed: candidates.flatMap((c, at) => (failed.has(at) || keptAt.has(at) ? [] : [{ ...version(c), action: c.action, freesBytes: c.freesBytes, ...(gone.has(at) ? { alreadyGone: true as const } : {}) }])),
        failures: input.failed.flatMap((f) => (candidates[f.at] ? [{ ...version(candidates[f.at]!), error: f.error }] : [])),
        kept: kept.flatMap((k) => (candidates[k.at] ? [{ ...version(candidates[k.at]!), protections: k.protections }] : [])),
      };
      await db.update(cleanupRuns).set({ status: input.status, done: input.done, bytesFreed: input.bytesFreed, summary, endedAt: sql`now()` }).where(eq(cleanupRuns.id, input.runId));
    },

    /** A candidate's protections gained since its run's report: checked just before it is removed. */
    async cleanupProtectionsNow(v: { projectId: string; model: string; tag: string | null; digest: string }): Promise<('approved' | 'promoted')[]> {
      return protectionsNow(db, v);
    },

    /**
     * A removed version in one transaction: the catalogue's side (an untagged tag archived; a deleted
     * artifact's image and tags, its model too when no image is left), its audit row (once per event
     * key) and the run's progress. A dry run's item only moves the progress.
     */
    async recordCleanedVersion(input: {
      runId: string;
      progress: { done: number; bytesFreed: number };
      archive?: ArchivedVersion;
      audit?: { eventKey: string; actor: string | null; action: string; resource: string; details: Record<string, unknown> };
    }): Promise<void> {
      await db.transaction(async (tx) => {
        if (input.archive) await archiveVersion(tx, input.archive);
        if (input.audit) await tx.insert(auditEvents).values(input.audit).onConflictDoNothing({ target: auditEvents.eventKey });
        await tx.update(cleanupRuns).set(input.progress).where(eq(cleanupRuns.id, input.runId));
      });
    },
  };
}
