import { and, desc, eq, gt, lt } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { projects, remoteRegistries, replicationExecutions, replicationRules } from '../schema';
import type { ExecutionTask, ReplicationDirection, ReplicationFilters, ReplicationTrigger } from '../../lib/replication';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

/** A rule as the API shows it and workflows return it. */
export interface ReplicationRuleRecord {
  id: string;
  name: string;
  project: string;
  projectId: string;
  /** The managed Harbor instance. */
  registry: string;
  direction: ReplicationDirection;
  /** The remote registry's name (its endpoint in Harbor). */
  remoteRegistry: string;
  remoteRegistryId: string;
  /** The remote side's namespace: the project's name unless set. */
  remoteNamespace: string;
  trigger: ReplicationTrigger;
  cron: string | null;
  filters: ReplicationFilters;
  replicateDeletion: boolean;
  override: boolean;
  bandwidthKbps: number;
  enabled: boolean;
  description: string | null;
  harborPolicyId: number;
  createdAt: string;
  updatedAt: string;
}

type RuleRow = { rule: typeof replicationRules.$inferSelect; project: string; registry: string; remoteRegistry: string };

export function toReplicationRuleRecord({ rule: r, project, registry, remoteRegistry }: RuleRow): ReplicationRuleRecord {
  const filters: ReplicationFilters = {
    ...(r.nameFilter ? { name: r.nameFilter } : {}),
    ...(r.tagFilter ? { tag: r.tagFilter } : {}),
    ...(r.labelFilter ? { label: r.labelFilter } : {}),
  };
  return {
    id: r.id,
    name: r.name,
    project,
    projectId: r.projectId,
    registry,
    direction: r.direction as ReplicationDirection,
    remoteRegistry,
    remoteRegistryId: r.remoteRegistryId,
    remoteNamespace: r.remoteNamespace ?? project,
    trigger: r.trigger as ReplicationTrigger,
    cron: r.cron,
    filters,
    replicateDeletion: r.replicateDeletion,
    override: r.override,
    bandwidthKbps: r.speedKbps,
    enabled: r.enabled,
    description: r.description,
    harborPolicyId: r.harborPolicyId,
    createdAt: isoTime(r.createdAt) ?? r.createdAt,
    updatedAt: isoTime(r.updatedAt) ?? r.updatedAt,
  };
}

const ruleColumns = { rule: replicationRules, project: projects.name, registry: projects.harborAddress, remoteRegistry: remoteRegistries.name };
const selectRules = (db: Db | Tx) =>
  db
    .select(ruleColumns)
    .from(replicationRules)
    .innerJoin(projects, eq(projects.id, replicationRules.projectId))
    .innerJoin(remoteRegistries, eq(remoteRegistries.id, replicationRules.remoteRegistryId));

export const liveRuleWhere = (projectId: string, name: string) => and(eq(replicationRules.projectId, projectId), eq(replicationRules.name, name), eq(replicationRules.isArchived, false));

/** A project's live rule by name. */
export async function findLiveReplicationRule(db: Db | Tx, projectId: string, name: string): Promise<ReplicationRuleRecord | null> {
  const [row] = await selectRules(db).where(liveRuleWhere(projectId, name)).limit(1);
  return row ? toReplicationRuleRecord(row) : null;
}

/** A rule by id, archived or not (an execution outlives its rule's deletion in the catalogue). */
export async function findReplicationRuleById(db: Db | Tx, id: string): Promise<ReplicationRuleRecord | null> {
  const [row] = await selectRules(db).where(eq(replicationRules.id, id)).limit(1);
  return row ? toReplicationRuleRecord(row) : null;
}

/** A project's live rules by name, after `after`. */
export async function listReplicationRules(db: Db, projectId: string, q: { after?: string; limit: number }): Promise<Page<ReplicationRuleRecord>> {
  const rows = await selectRules(db)
    .where(and(eq(replicationRules.projectId, projectId), eq(replicationRules.isArchived, false), q.after === undefined ? undefined : gt(replicationRules.name, q.after)))
    .orderBy(replicationRules.name)
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.rule.name, toReplicationRuleRecord);
}

/** The live rules whose Harbor policies use a remote registry. */
export async function replicationRulesOfRemoteRegistry(db: Db | Tx, remoteRegistryId: string): Promise<ReplicationRuleRecord[]> {
  const rows = await selectRules(db).where(and(eq(replicationRules.remoteRegistryId, remoteRegistryId), eq(replicationRules.isArchived, false))).orderBy(replicationRules.name);
  return rows.map(toReplicationRuleRecord);
}

/** A project's live rules. */
export async function replicationRulesOfProject(db: Db | Tx, projectId: string): Promise<ReplicationRuleRecord[]> {
  const rows = await selectRules(db).where(and(eq(replicationRules.projectId, projectId), eq(replicationRules.isArchived, false))).orderBy(replicationRules.name);
  return rows.map(toReplicationRuleRecord);
}

/** An execution as the API shows it: Harbor's status, counts and tasks as last observed. */
export interface ReplicationExecutionRecord {
  id: string;
  registry: string;
  harborExecutionId: number;
  harborPolicyId: number;
  ruleId: string | null;
  purpose: string;
  status: string;
  statusText: string | null;
  trigger: string | null;
  counts: { total: number; succeed: number; failed: number; inProgress: number; stopped: number };
  tasks: ExecutionTask[];
  startedAt: string | null;
  endedAt: string | null;
  /** When Harbor was last asked about it. */
  observedAt: string;
  createdAt: string;
}

export function toReplicationExecutionRecord(e: typeof replicationExecutions.$inferSelect): ReplicationExecutionRecord {
  return {
    id: e.id,
    registry: e.harborInstance,
    harborExecutionId: e.harborExecutionId,
    harborPolicyId: e.harborPolicyId,
    ruleId: e.ruleId,
    purpose: e.purpose,
    status: e.status,
    statusText: e.statusText,
    trigger: e.trigger,
    counts: { total: e.total, succeed: e.succeed, failed: e.failed, inProgress: e.inProgress, stopped: e.stopped },
    tasks: e.tasks as unknown as ExecutionTask[],
    startedAt: isoTime(e.startedAt),
    endedAt: isoTime(e.endedAt),
    observedAt: isoTime(e.observedAt) ?? e.observedAt,
    createdAt: isoTime(e.createdAt) ?? e.createdAt,
  };
}

/** A rule's executions, newest (highest Harbor id) first, before the Harbor id `before`. */
export async function listReplicationExecutions(db: Db, ruleId: string, q: { before?: number; limit: number }): Promise<Page<ReplicationExecutionRecord>> {
  const rows = await db
    .select()
    .from(replicationExecutions)
    .where(and(eq(replicationExecutions.ruleId, ruleId), q.before === undefined ? undefined : lt(replicationExecutions.harborExecutionId, q.before)))
    .orderBy(desc(replicationExecutions.harborExecutionId))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => String(r.harborExecutionId), toReplicationExecutionRecord);
}

/** One execution of a rule by its id here. */
export async function findReplicationExecution(db: Db, ruleId: string, id: string): Promise<ReplicationExecutionRecord | null> {
  const [row] = await db.select().from(replicationExecutions).where(and(eq(replicationExecutions.ruleId, ruleId), eq(replicationExecutions.id, id))).limit(1);
  return row ? toReplicationExecutionRecord(row) : null;
}
