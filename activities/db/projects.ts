import { and, desc, eq, isNull, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveProject, liveProjectWhere, toProjectRecord, type HarborSummary, type ProjectRecord, type ProjectSettings } from '../../db/queries/projects';
import { projects } from '../../db/schema';
import { notFound } from '../../lib/failure-types';
import { archivedByAnEarlierAttempt } from './earlier-attempt';

export interface ProjectRowInput {
  name: string;
  registry: string;
  displayName: string;
  description: string | null;
  public: boolean;
  tenantId: string;
  harborId: number;
  storageLimit: number | null;
  settings: ProjectSettings;
  webhookPolicyId: number | null;
  /** Sealed, never clear text. */
  webhookSecret: string | null;
}

const FOREIGN_KEY_VIOLATION = '23503';

export function createProjectActivities({ db }: { db: Db }) {
  return {
    findProject(registry: string, name: string): Promise<ProjectRecord | null> {
      return findLiveProject(db, registry, name);
    },

    /** The tenant of the newest catalogue row of that name, live or archived (archiving leaves the Harbor project in place), or null. */
    async projectTenantOfRecord(registry: string, name: string): Promise<string | null> {
      const [row] = await db
        .select({ tenantId: projects.tenantId })
        .from(projects)
        .where(and(eq(projects.harborAddress, registry), eq(projects.name, name)))
        .orderBy(desc(projects.createdAt))
        .limit(1);
      return row?.tenantId ?? null;
    },

    /** Insert, or update the live row of that name: a retry converges on the same row. */
    async upsertProject(input: ProjectRowInput): Promise<ProjectRecord> {
      const values = {
        name: input.name,
        harborAddress: input.registry,
        displayName: input.displayName,
        description: input.description,
        isPublic: input.public,
        tenantId: input.tenantId,
        harborId: input.harborId,
        storageLimit: input.storageLimit,
        settings: input.settings as unknown as Record<string, unknown>,
        webhookPolicyId: input.webhookPolicyId,
        webhookSecret: input.webhookSecret,
      };
      let row;
      try {
        [row] = await db
          .insert(projects)
          .values(values)
          .onConflictDoUpdate({
            target: [projects.harborAddress, projects.name, projects.isArchived, projects.deletedAt],
            set: { ...values, updatedAt: sql`now()` },
          })
          .returning();
      } catch (err) {
        // The tenant went away since the workflow checked it: no retry can fix that.
        if ((err as { cause?: { code?: string } }).cause?.code === FOREIGN_KEY_VIOLATION) {
          throw notFound(`tenant "${input.tenantId}" no longer exists`);
        }
        throw err;
      }
      if (!row) throw new Error(`upsert of project ${input.name} returned no row`);
      return toProjectRecord(row);
    },

    /** Applies a change to the live row; null when there is none. */
    async updateProjectRow(
      registry: string,
      name: string,
      patch: { displayName?: string; description?: string | null; public?: boolean; storageLimit?: number | null; settings?: ProjectSettings },
    ): Promise<ProjectRecord | null> {
      const [row] = await db
        .update(projects)
        .set({
          ...(patch.displayName === undefined ? {} : { displayName: patch.displayName }),
          ...(patch.description === undefined ? {} : { description: patch.description }),
          ...(patch.public === undefined ? {} : { isPublic: patch.public }),
          ...(patch.storageLimit === undefined ? {} : { storageLimit: patch.storageLimit }),
          ...(patch.settings === undefined ? {} : { settings: patch.settings as unknown as Record<string, unknown> }),
          updatedAt: sql`now()`,
        })
        .where(liveProjectWhere(registry, name))
        .returning();
      return row ? toProjectRecord(row) : null;
    },

    /** Keeps Harbor's figures on the live row; an older fetch that lands late does not overwrite a newer one. */
    async saveHarborSummary(registry: string, name: string, summary: HarborSummary): Promise<void> {
      await db
        .update(projects)
        .set({
          harborRepositoryCount: summary.repoCount,
          harborQuotaHardBytes: summary.quotaHard,
          harborQuotaUsedBytes: summary.quotaUsed,
          harborSummaryRefreshedAt: summary.refreshedAt,
        })
        .where(and(liveProjectWhere(registry, name), or(isNull(projects.harborSummaryRefreshedAt), lte(projects.harborSummaryRefreshedAt, summary.refreshedAt))));
    },

    /** Every live managed project, for the periodic reconciliation. */
    async listManagedProjects(): Promise<{ registry: string; name: string }[]> {
      return db.select({ registry: projects.harborAddress, name: projects.name }).from(projects).where(eq(projects.isArchived, false)).orderBy(projects.harborAddress, projects.name);
    },

    /** Compensation of onboarding: the row never became visible as a finished project. */
    async deleteProjectRow(registry: string, name: string): Promise<void> {
      await db.delete(projects).where(liveProjectWhere(registry, name));
    },

    /** The archived row; null when there was no live one (nor one an earlier attempt archived). */
    async archiveProject(registry: string, name: string): Promise<ProjectRecord | null> {
      const [row] = await db
        .update(projects)
        .set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
        .where(liveProjectWhere(registry, name))
        .returning();
      if (row) return toProjectRecord(row);
      const archived = await archivedByAnEarlierAttempt(db, projects, and(eq(projects.harborAddress, registry), eq(projects.name, name)));
      return archived ? toProjectRecord(archived) : null;
    },
  };
}
