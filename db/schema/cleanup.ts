import { sql } from 'drizzle-orm';
import { bigint, boolean, foreignKey, index, integer, jsonb, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import type { CleanupMode, CleanupPolicy, CleanupReport } from '../../lib/cleanup/types';
import { projects } from './catalogue';
import { modelregistry } from './common';
import { tenants } from './tenants';

/** A project's cleanup policy, or (no project) its tenant's default that projects without one inherit. */
export const cleanupPolicies = modelregistry.table(
  'cleanup_policies',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: varchar('tenant_id').notNull(),
    /** Null: the tenant's default. */
    projectId: uuid('project_id'),
    policy: jsonb('policy').$type<CleanupPolicy>().notNull(),
    /** Harbor's retention policy mirroring the expressible rules (`mirrorToHarborRetention`); null: none. */
    harborRetentionId: integer('harbor_retention_id'),
    updatedBy: varchar('updated_by', { length: 255 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    foreignKey({ name: 'FK_cleanup_policies_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('cascade'),
    foreignKey({ name: 'FK_cleanup_policies_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    uniqueIndex('ux_cleanup_policies_project').on(t.projectId).where(sql`${t.projectId} is not null`),
    uniqueIndex('ux_cleanup_policies_tenant_default').on(t.tenantId).where(sql`${t.projectId} is null`),
  ],
);

export const CLEANUP_RUN_STATUSES = ['preparing', 'awaiting_approval', 'running', 'succeeded', 'failed', 'cancelled', 'expired', 'capped'] as const;
export type CleanupRunStatus = (typeof CLEANUP_RUN_STATUSES)[number];
/** A run in one of these holds its project: the partial unique index below admits one at a time. */
export const ACTIVE_CLEANUP_RUN_STATUSES = ['preparing', 'awaiting_approval', 'running'] as const satisfies readonly CleanupRunStatus[];

/**
 * What a run did: the versions removed and the failures. What a capped, cancelled or expired run did
 * not reach is its report's candidates past `done` (rows written before 2026-12 also hold an empty `skipped`).
 */
export interface CleanupRunSummary {
  /** `alreadyGone`: Harbor answered 404 (a retried step whose first answer was lost, or removed meanwhile). */
  removed: { model: string; tag: string | null; digest: string; action: 'untag' | 'delete'; freesBytes: number; alreadyGone?: true }[];
  failures: { model: string; tag: string | null; digest: string; error: string }[];
  /** Approved or promoted since the report was made (a run may wait days for its approval): left alone. */
  kept?: { model: string; tag: string | null; digest: string; protections: ('approved' | 'promoted')[] }[];
}

/** One cleanup run of a project, manual or scheduled, dry or real: its progress while it runs and its summary after. */
export const cleanupRuns = modelregistry.table(
  'cleanup_runs',
  {
    id: uuid('id').primaryKey(),
    /** The run's workflow (a scheduled one's id carries the Schedule's timestamp), for its progress, approval and cancel. */
    workflowId: varchar('workflow_id', { length: 512 }).notNull(),
    projectId: uuid('project_id').notNull(),
    /** `manual` | `schedule`. */
    trigger: varchar('trigger', { length: 16 }).$type<'manual' | 'schedule'>().notNull(),
    dryRun: boolean('dry_run').notNull(),
    mode: varchar('mode', { length: 16 }).$type<CleanupMode>().notNull(),
    status: varchar('status', { length: 24 }).$type<CleanupRunStatus>().notNull(),
    requestedBy: varchar('requested_by', { length: 255 }),
    approvedBy: varchar('approved_by', { length: 255 }),
    total: integer('total').notNull().default(0),
    done: integer('done').notNull().default(0),
    bytesFreed: bigint('bytes_freed', { mode: 'number' }).notNull().default(0),
    summary: jsonb('summary').$type<CleanupRunSummary>(),
    /** The candidates the run worked from (recomputed at its start). */
    report: jsonb('report').$type<CleanupReport>(),
    detail: varchar('detail', { length: 2048 }),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'string' }),
  },
  (t) => [
    foreignKey({ name: 'FK_cleanup_runs_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    // One run per project at a time, manual and scheduled alike.
    uniqueIndex('ux_cleanup_runs_active_project').on(t.projectId).where(sql`${t.status} in ('preparing', 'awaiting_approval', 'running')`),
    index('IX_cleanup_runs_project_started').on(t.projectId, t.startedAt, t.id),
  ],
);
