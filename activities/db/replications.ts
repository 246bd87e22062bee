import { and, asc, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { liveProjectWhere } from '../../db/queries/projects';
import { liveRemoteRegistryWhere } from '../../db/queries/registries';
import {
  findLiveReplicationRule,
  replicationRulesOfProject,
  replicationRulesOfRemoteRegistry,
  toReplicationExecutionRecord,
  type ReplicationExecutionRecord,
  type ReplicationRuleRecord,
} from '../../db/queries/replications';
import { projects, remoteRegistries, replicationExecutions, replicationRules } from '../../db/schema';
import { conflict, notFound } from '../../lib/failure-types';
import { JOB_RETRY_WINDOW_MS, type ExecutionPurpose, type ExecutionReport, type ReplicationRulePatch, type ReplicationRuleRef, type ReplicationRuleSpec } from '../../lib/replication';

const UNIQUE_VIOLATION = '23505';

/** The remote registry a rule may use: of the tenant or shared, on that Harbor instance. */
export interface VisibleRemoteRegistry {
  id: string;
  harborRegistryId: number;
}

/** Harbor's figures of an execution as columns. */
const reportColumns = (r: ExecutionReport) => ({
  status: r.status,
  statusText: r.statusText ?? null,
  trigger: r.trigger ?? null,
  total: r.total,
  succeed: r.succeed,
  failed: r.failed,
  inProgress: r.inProgress,
  stopped: r.stopped,
  tasks: r.tasks as unknown as Record<string, unknown>[],
  startedAt: r.startedAt ?? null,
  endedAt: r.endedAt ?? null,
});

/** Replication rule and execution rows, written by the replication workflows. */
export function createReplicationActivities({ db }: { db: Db }) {
  const projectIdOf = async (registry: string, project: string) => {
    const [row] = await db.select({ id: projects.id }).from(projects).where(liveProjectWhere(registry, project)).limit(1);
    return row?.id;
  };

  return {
    /** The remote registry of that name a project of `tenant` may replicate with; null when there is none it may see. */
    async findVisibleRemoteRegistry(registry: string, tenant: string, name: string): Promise<VisibleRemoteRegistry | null> {
      const [row] = await db
        .select({ id: remoteRegistries.id, harborRegistryId: remoteRegistries.harborRegistryId })
        .from(remoteRegistries)
        .where(and(liveRemoteRegistryWhere(registry, name), or(isNull(remoteRegistries.tenantId), eq(remoteRegistries.tenantId, tenant))))
        .limit(1);
      return row ?? null;
    },

    async findReplicationRule(ref: ReplicationRuleRef): Promise<ReplicationRuleRecord | null> {
      const projectId = await projectIdOf(ref.registry, ref.project);
      return projectId ? findLiveReplicationRule(db, projectId, ref.name) : null;
    },

    /** Idempotent for the same Harbor policy: a retry that finds its own row returns it. */
    async saveReplicationRule(spec: ReplicationRuleSpec, ids: { projectId: string; remoteRegistryId: string; harborPolicyId: number }): Promise<ReplicationRuleRecord> {
      const existing = await findLiveReplicationRule(db, ids.projectId, spec.name);
      if (existing) {
        if (existing.harborPolicyId === ids.harborPolicyId) return existing;
        throw conflict(`project "${spec.project}" has a replication rule "${spec.name}"`);
      }
      try {
        await db.insert(replicationRules).values({
          projectId: ids.projectId,
          name: spec.name,
          direction: spec.direction,
          remoteRegistryId: ids.remoteRegistryId,
          remoteNamespace: spec.remoteNamespace ?? null,
          trigger: spec.trigger,
          cron: spec.trigger === 'scheduled' ? (spec.cron ?? null) : null,
          nameFilter: spec.filters.name ?? null,
          tagFilter: spec.filters.tag ?? null,
          labelFilter: spec.filters.label ?? null,
          replicateDeletion: spec.replicateDeletion,
          override: spec.override,
          speedKbps: spec.speedKbps,
          enabled: spec.enabled,
          description: spec.description ?? null,
          harborPolicyId: ids.harborPolicyId,
        });
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`project "${spec.project}" has a replication rule "${spec.name}"`);
        throw err;
      }
      return (await findLiveReplicationRule(db, ids.projectId, spec.name))!;
    },

    async updateReplicationRule(rule: ReplicationRuleRecord, patch: ReplicationRulePatch): Promise<ReplicationRuleRecord> {
      const trigger = patch.trigger ?? rule.trigger;
      const filters = patch.filters ?? rule.filters;
      const [row] = await db
        .update(replicationRules)
        .set({
          ...(patch.remoteNamespace !== undefined ? { remoteNamespace: patch.remoteNamespace } : {}),
          trigger,
          cron: trigger === 'scheduled' ? (patch.cron ?? rule.cron) : null,
          nameFilter: filters.name ?? null,
          tagFilter: filters.tag ?? null,
          labelFilter: filters.label ?? null,
          ...(patch.replicateDeletion !== undefined ? { replicateDeletion: patch.replicateDeletion } : {}),
          ...(patch.override !== undefined ? { override: patch.override } : {}),
          ...(patch.speedKbps !== undefined ? { speedKbps: patch.speedKbps } : {}),
          ...(patch.enabled !== undefined ? { enabled: patch.enabled } : {}),
          ...(patch.description !== undefined ? { description: patch.description } : {}),
          updatedAt: sql`now()`,
        })
        .where(and(eq(replicationRules.id, rule.id), eq(replicationRules.isArchived, false)))
        .returning({ id: replicationRules.id });
      if (!row) throw notFound(`replication rule "${rule.name}" was deleted meanwhile`);
      return (await findLiveReplicationRule(db, rule.projectId, rule.name))!;
    },

    /** Archives the rule; one archived already (a retry) is returned as it was. */
    async archiveReplicationRule(rule: ReplicationRuleRecord): Promise<ReplicationRuleRecord> {
      await db
        .update(replicationRules)
        .set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(replicationRules.id, rule.id), eq(replicationRules.isArchived, false)));
      return rule;
    },

    /** The live rules whose Harbor policies use the remote registry. */
    liveReplicationRulesOfRemoteRegistry(remoteRegistryId: string): Promise<ReplicationRuleRecord[]> {
      return replicationRulesOfRemoteRegistry(db, remoteRegistryId);
    },

    async liveReplicationRulesOfProject(registry: string, project: string): Promise<ReplicationRuleRecord[]> {
      const projectId = await projectIdOf(registry, project);
      return projectId ? replicationRulesOfProject(db, projectId) : [];
    },

    /** Records an execution the service started or learnt of; `created` false when it was known (Harbor's id is the key). */
    async recordReplicationExecution(input: { registry: string; projectId: string; ruleId: string | null; purpose: ExecutionPurpose; report: ExecutionReport }): Promise<{ execution: ReplicationExecutionRecord; created: boolean }> {
      const { registry, report } = input;
      const [inserted] = await db
        .insert(replicationExecutions)
        .values({ harborInstance: registry, harborExecutionId: report.harborExecutionId, harborPolicyId: report.harborPolicyId, ruleId: input.ruleId, projectId: input.projectId, purpose: input.purpose, ...reportColumns(report) })
        .onConflictDoNothing({ target: [replicationExecutions.harborInstance, replicationExecutions.harborExecutionId] })
        .returning();
      if (inserted) return { execution: toReplicationExecutionRecord(inserted), created: true };
      const [known] = await db.select().from(replicationExecutions).where(executionWhere(registry, report.harborExecutionId));
      return { execution: toReplicationExecutionRecord(known!), created: false };
    },

    /** Executions of a rule's policy Harbor listed (its triggers started them): the ones not known yet are recorded and returned. */
    async recordDiscoveredReplicationExecutions(input: { registry: string; projectId: string; ruleId: string; reports: ExecutionReport[] }): Promise<ReplicationExecutionRecord[]> {
      if (input.reports.length === 0) return [];
      const rows = await db
        .insert(replicationExecutions)
        .values(input.reports.map((report) => ({ harborInstance: input.registry, harborExecutionId: report.harborExecutionId, harborPolicyId: report.harborPolicyId, ruleId: input.ruleId, projectId: input.projectId, purpose: 'rule', ...reportColumns(report) })))
        .onConflictDoNothing({ target: [replicationExecutions.harborInstance, replicationExecutions.harborExecutionId] })
        .returning();
      return rows.map(toReplicationExecutionRecord);
    },

    /** Harbor's news of an execution; with the status it had before, so only the one change to final is announced. Null when it is not recorded. */
    async observeReplicationExecution(registry: string, report: ExecutionReport): Promise<{ execution: ReplicationExecutionRecord; previousStatus: string } | null> {
      return db.transaction(async (tx) => {
        const [before] = await tx.select({ status: replicationExecutions.status }).from(replicationExecutions).where(executionWhere(registry, report.harborExecutionId)).for('update');
        if (!before) return null;
        const [row] = await tx
          .update(replicationExecutions)
          .set({ ...reportColumns(report), observedAt: sql`now()` })
          .where(executionWhere(registry, report.harborExecutionId))
          .returning();
        return { execution: toReplicationExecutionRecord(row!), previousStatus: before.status };
      });
    },

    /** An execution Harbor no longer has (deleted with its policy, or by an administrator): stopped as far as anyone can tell. */
    async markReplicationExecutionGone(registry: string, harborExecutionId: number): Promise<{ execution: ReplicationExecutionRecord; previousStatus: string } | null> {
      return db.transaction(async (tx) => {
        const [before] = await tx.select({ status: replicationExecutions.status }).from(replicationExecutions).where(executionWhere(registry, harborExecutionId)).for('update');
        if (!before) return null;
        const final = before.status !== 'InProgress';
        const [row] = await tx
          .update(replicationExecutions)
          .set({ ...(final ? {} : { status: 'Stopped', statusText: 'the execution is no longer in Harbor' }), observedAt: sql`now()` })
          .where(executionWhere(registry, harborExecutionId))
          .returning();
        return { execution: toReplicationExecutionRecord(row!), previousStatus: before.status };
      });
    },

    /** Executions of the project still running, or Failed lately (Harbor may retry them), with their status. */
    async runningReplicationExecutions(registry: string, project: string): Promise<{ harborExecutionId: number; status: string }[]> {
      const retryable = and(eq(replicationExecutions.status, 'Failed'), gt(replicationExecutions.observedAt, sql`now() - make_interval(secs => ${JOB_RETRY_WINDOW_MS / 1000})`));
      const rows = await db
        .select({ harborExecutionId: replicationExecutions.harborExecutionId, status: replicationExecutions.status })
        .from(replicationExecutions)
        .innerJoin(projects, eq(projects.id, replicationExecutions.projectId))
        .where(and(eq(replicationExecutions.harborInstance, registry), eq(projects.harborAddress, registry), eq(projects.name, project), or(eq(replicationExecutions.status, 'InProgress'), retryable)));
      return rows;
    },

    /** Executions still in progress that nobody has asked Harbor about for `olderThanSeconds`, oldest news first. */
    async staleReplicationExecutions(olderThanSeconds: number, limit = 100): Promise<{ registry: string; harborExecutionId: number }[]> {
      return db
        .select({ registry: replicationExecutions.harborInstance, harborExecutionId: replicationExecutions.harborExecutionId })
        .from(replicationExecutions)
        .where(and(eq(replicationExecutions.status, 'InProgress'), lt(replicationExecutions.observedAt, sql`now() - make_interval(secs => ${olderThanSeconds})`)))
        .orderBy(asc(replicationExecutions.observedAt))
        .limit(limit);
    },
  };
}

const executionWhere = (registry: string, harborExecutionId: number) =>
  and(eq(replicationExecutions.harborInstance, registry), eq(replicationExecutions.harborExecutionId, harborExecutionId));
