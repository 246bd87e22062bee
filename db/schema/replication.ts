import { sql } from 'drizzle-orm';
import { bigint, boolean, foreignKey, index, integer, jsonb, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { projects } from './catalogue';
import { modelregistry, softDelete } from './common';
import { remoteRegistries } from './registries';

/**
 * A project's replication rules: each is one Harbor replication policy between the project and a
 * remote registry endpoint, in one direction.
 */
export const replicationRules = modelregistry.table(
  'replication_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    /** `push`: this project → remote; `pull`: remote → this project. */
    direction: varchar('direction', { length: 8 }).notNull(),
    remoteRegistryId: uuid('remote_registry_id').notNull(),
    /** The namespace (project) on the remote side; absent: the local project's name. */
    remoteNamespace: varchar('remote_namespace', { length: 255 }),
    /** `manual` | `event_based` | `scheduled`. */
    trigger: varchar('trigger', { length: 16 }).notNull(),
    /** Harbor's six-field cron, for `scheduled`. */
    cron: varchar('cron', { length: 128 }),
    nameFilter: varchar('name_filter', { length: 255 }),
    tagFilter: varchar('tag_filter', { length: 255 }),
    labelFilter: varchar('label_filter', { length: 255 }),
    replicateDeletion: boolean('replicate_deletion').notNull().default(false),
    override: boolean('override').notNull().default(false),
    /** Bandwidth limit in KB/s; -1 unlimited (Harbor's `speed`). */
    speedKbps: integer('speed_kbps').notNull().default(-1),
    enabled: boolean('enabled').notNull().default(true),
    description: varchar('description', { length: 1024 }),
    harborPolicyId: integer('harbor_policy_id').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_replication_rules_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_replication_rules_remote_registries_id', columns: [t.remoteRegistryId], foreignColumns: [remoteRegistries.id] }).onDelete('restrict'),
    uniqueIndex('ux_replication_rules_project_name').on(t.projectId, t.name).where(sql`not ${t.isArchived}`),
    index('IX_replication_rules_remote_registry_id').on(t.remoteRegistryId),
  ],
);

/**
 * Harbor replication executions the service started or learnt of (webhook, polling): a rule's run,
 * a promotion's one-off push, a sync's pull. Counts and tasks as Harbor last reported them.
 */
export const replicationExecutions = modelregistry.table(
  'replication_executions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    harborInstance: varchar('harbor_instance', { length: 255 }).notNull(),
    harborExecutionId: integer('harbor_execution_id').notNull(),
    harborPolicyId: integer('harbor_policy_id').notNull(),
    /** Null for a promotion's one-off policy. */
    ruleId: uuid('rule_id'),
    projectId: uuid('project_id').notNull(),
    /** `rule` | `promotion` | `sync`. */
    purpose: varchar('purpose', { length: 16 }).notNull(),
    /** Harbor's status: `InProgress`, `Succeed`, `Failed`, `Stopped`. */
    status: varchar('status', { length: 32 }).notNull(),
    statusText: varchar('status_text', { length: 2048 }),
    trigger: varchar('trigger', { length: 16 }),
    total: integer('total').notNull().default(0),
    succeed: integer('succeed').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    inProgress: integer('in_progress').notNull().default(0),
    stopped: integer('stopped').notNull().default(0),
    /** Harbor's tasks: `{id, resourceType, srcResource, dstResource, status, startTime, endTime}[]`. */
    tasks: jsonb('tasks').$type<Record<string, unknown>[]>().notNull().default(sql`'[]'::jsonb`),
    startedAt: timestamp('started_at', { withTimezone: true, mode: 'string' }),
    endedAt: timestamp('ended_at', { withTimezone: true, mode: 'string' }),
    /** When Harbor was last asked (or told us by webhook): the poller looks for stale running ones. */
    observedAt: timestamp('observed_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    foreignKey({ name: 'FK_replication_executions_rules_rule_id', columns: [t.ruleId], foreignColumns: [replicationRules.id] }).onDelete('set null'),
    foreignKey({ name: 'FK_replication_executions_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    uniqueIndex('ux_replication_executions_harbor').on(t.harborInstance, t.harborExecutionId),
    index('IX_replication_executions_rule').on(t.ruleId, t.createdAt),
    // The poller's scan: executions still running, oldest news first.
    index('IX_replication_executions_running').on(t.observedAt).where(sql`${t.status} = 'InProgress'`),
  ],
);

/**
 * Where a model version (project, model, tag) lives besides the local Harbor: one row per remote
 * registry and remote repository. A version pulled by a sync has its local catalogue entry too.
 */
export const modelVersionLocations = modelregistry.table(
  'model_version_locations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    projectId: uuid('project_id').notNull(),
    modelName: varchar('model_name', { length: 255 }).notNull(),
    tag: varchar('tag', { length: 128 }).notNull(),
    remoteRegistryId: uuid('remote_registry_id').notNull(),
    /** `<namespace>/<model>` on the remote side. */
    remoteRepository: varchar('remote_repository', { length: 512 }).notNull(),
    localDigest: varchar('local_digest', { length: 128 }),
    remoteDigest: varchar('remote_digest', { length: 128 }),
    /** `present` | `replicating` | `failed` | `mismatch`. */
    status: varchar('status', { length: 16 }).notNull(),
    executionId: uuid('execution_id'),
    /** Bytes of the version's blobs, when known. */
    sizeBytes: bigint('size_bytes', { mode: 'number' }),
    detail: varchar('detail', { length: 2048 }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    foreignKey({ name: 'FK_model_version_locations_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_model_version_locations_remote_registries_id', columns: [t.remoteRegistryId], foreignColumns: [remoteRegistries.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_model_version_locations_executions_id', columns: [t.executionId], foreignColumns: [replicationExecutions.id] }).onDelete('set null'),
    uniqueIndex('ux_model_version_locations_version_remote').on(t.projectId, t.modelName, t.tag, t.remoteRegistryId, t.remoteRepository),
    index('IX_model_version_locations_remote').on(t.remoteRegistryId, t.remoteRepository),
  ],
);
