import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
  varchar,
} from 'drizzle-orm/pg-core';
import { modelregistry, softDelete } from './common';
import { modelTypes, signatureTypes, validationStatuses } from './lookups';
import { tenants } from './tenants';

/*
 * The seed's DDL, kept faithful (names of tables, columns, constraints and indexes).
 * Corrections, each deliberate:
 * - `projects` ends its column list with a trailing comma (a syntax error): dropped.
 * - uuid ids had no default: `gen_random_uuid()` added.
 * - `is_archived NOT NULL` had no default: `false` added (see common.ts).
 * - Foreign keys to lookup tables cascaded deletes (deleting a model type would delete every
 *   model of that type): they RESTRICT instead.
 * - `FK_metadata_images_image_id` had no ON DELETE, so deleting an image failed once it had
 *   metadata although every other child of images cascades: it cascades too.
 * - `projects` had no unique name: `ux_project_name` (harbor_address, name, is_archived,
 *   deleted_at), the shape of the seed's `ux_repository_name_project`, so an archived name can
 *   be reused; `tenant_id` now references `tenants.name` (the seed had no tenants table).
 */
export const projects = modelregistry.table(
  'projects',
  {
    id: uuid('id').notNull().defaultRandom(),
    name: varchar('name').notNull(),
    displayName: varchar('display_name').notNull(),
    description: varchar('description'),
    isPublic: boolean('is_public').notNull().default(false),
    harborId: integer('harbor_id'),
    tenantId: varchar('tenant_id').notNull(),
    // Added: which Harbor instance holds it (multi-instance mode), like repositories.harbor_address.
    harborAddress: varchar('harbor_address').notNull().default(''),
    // Added: what onboarding configured, so lifecycle workflows can update or remove it.
    storageLimit: bigint('storage_limit', { mode: 'number' }),
    settings: jsonb('settings').$type<Record<string, unknown>>(),
    webhookPolicyId: integer('webhook_policy_id'),
    /** The webhook policy's auth header, sealed (lib/secrets). */
    webhookSecret: text('webhook_secret'),
    // Added: Harbor's project summary as last fetched by a workflow (onboarding, registration,
    // refresh, reconciliation, quota webhooks), so the project page never waits on Harbor.
    harborQuotaUsedBytes: bigint('harbor_quota_used_bytes', { mode: 'number' }),
    harborQuotaHardBytes: bigint('harbor_quota_hard_bytes', { mode: 'number' }),
    harborRepositoryCount: integer('harbor_repository_count'),
    harborSummaryRefreshedAt: timestamp('harbor_summary_refreshed_at', { withTimezone: true, mode: 'string' }),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_projects', columns: [t.id] }),
    foreignKey({ name: 'FK_projects_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    uniqueIndex('ux_project_name').on(t.harborAddress, t.name, t.isArchived, t.deletedAt),
    index('IX_projects_tenant_id').on(t.tenantId),
  ],
);

export const repositories = modelregistry.table(
  'repositories',
  {
    id: uuid('id').notNull().defaultRandom(),
    name: varchar('name').notNull(),
    namespace: varchar('namespace').notNull(),
    fullName: varchar('full_name').notNull(),
    harborId: integer('harbor_id'),
    projectId: uuid('project_id').notNull(),
    harborAddress: varchar('harbor_address').notNull().default(''),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_repositories', columns: [t.id] }),
    foreignKey({ name: 'FK_repositories_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    index('IX_repositories_project_id').on(t.projectId),
    uniqueIndex('ux_repository_name_project').on(t.name, t.namespace, t.projectId, t.isArchived, t.deletedAt),
  ],
);

export const models = modelregistry.table(
  'models',
  {
    id: uuid('id').notNull().defaultRandom(),
    name: varchar('name').notNull(),
    displayName: varchar('display_name'),
    description: varchar('description'),
    author: varchar('author'),
    organization: varchar('organization'),
    url: varchar('url'),
    typeId: integer('type_id').notNull().default(0),
    projectId: uuid('project_id').notNull(),
    repositoryId: uuid('repository_id').notNull(),
    creationDate: timestamp('creation_date', { withTimezone: true, mode: 'string' }),
    license: varchar('license'),
    tags: text('tags').array(),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_models', columns: [t.id] }),
    foreignKey({ name: 'FK_models_model_types_type_id', columns: [t.typeId], foreignColumns: [modelTypes.id] }).onDelete('restrict'),
    foreignKey({ name: 'FK_models_projects_project_id', columns: [t.projectId], foreignColumns: [projects.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_models_repositories_repository_id', columns: [t.repositoryId], foreignColumns: [repositories.id] }).onDelete('cascade'),
    // The project's model list: filtered by archive state, paged by (name, id) keyset.
    index('IX_models_project_list').on(t.projectId, t.isArchived, t.name, t.id),
    // A name prefix (`LIKE 'llama-%'`): only a pattern_ops index serves LIKE under a collation other than C.
    index('IX_models_project_name_prefix').on(t.projectId, t.isArchived, t.name.op('text_pattern_ops')),
  ],
);

export const images = modelregistry.table(
  'images',
  {
    id: uuid('id').notNull().defaultRandom(),
    digest: varchar('digest').notNull(),
    harborId: integer('harbor_id'),
    modelId: uuid('model_id').notNull(),
    repositoryId: uuid('repository_id').notNull(),
    isApproved: boolean('is_approved').notNull().default(false),
    // Added: who approved the image for promotion (username and subject) and when; null while not approved.
    approvedBy: varchar('approved_by'),
    approvedBySubject: varchar('approved_by_subject'),
    approvedAt: timestamp('approved_at', { withTimezone: true, mode: 'string' }),
    isVerified: boolean('is_verified').notNull().default(false),
    // Added: when the catalogue learned of it; a refresh's listing read before then is older news (rows of before 2026-12 hold the migration's time).
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_images', columns: [t.id] }),
    foreignKey({ name: 'FK_images_models_model_id', columns: [t.modelId], foreignColumns: [models.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_images_repositories_repository_id', columns: [t.repositoryId], foreignColumns: [repositories.id] }).onDelete('cascade'),
    index('IX_images_model_id').on(t.modelId),
  ],
);

export const manifests = modelregistry.table(
  'manifests',
  {
    id: uuid('id').notNull().defaultRandom(),
    content: varchar('content').notNull(),
    tag: varchar('tag').notNull(),
    imageId: uuid('image_id').notNull(),
    /**
     * Set when a refresh read the manifest of an already pushed artifact: Harbor counts that read as
     * a pull, so cleanup takes a Harbor `pull_time` this close to it for ours and reads
     * `pulled_before` (Harbor's pull time as listed before the read; null: never) instead.
     */
    readAt: timestamp('read_at', { withTimezone: true, mode: 'string' }),
    pulledBefore: timestamp('pulled_before', { withTimezone: true, mode: 'string' }),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_manifests', columns: [t.id] }),
    foreignKey({ name: 'FK_manifests_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('cascade'),
  ],
);

export const metadata = modelregistry.table(
  'metadata',
  {
    id: uuid('id').notNull().defaultRandom(),
    name: varchar('name').notNull(),
    value: varchar('value'),
    modelId: uuid('model_id').notNull(),
    imageId: uuid('image_id'),
    parentId: uuid('parent_id'),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_metadata', columns: [t.id] }),
    foreignKey({ name: 'FK_metadata_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_metadata_metadata_parent_id', columns: [t.parentId], foreignColumns: [t.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_metadata_models_model_id', columns: [t.modelId], foreignColumns: [models.id] }).onDelete('cascade'),
  ],
);

export const signatures = modelregistry.table(
  'signatures',
  {
    id: uuid('id').notNull().defaultRandom(),
    digest: varchar('digest').notNull(),
    typeId: integer('type_id').notNull(),
    harborId: integer('harbor_id'),
    imageId: uuid('image_id'),
    repositoryId: uuid('repository_id').notNull(),
    artifactDigest: varchar('artifact_digest'),
    artifactId: integer('artifact_id'),
    artifactRepo: varchar('artifact_repo'),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_signatures', columns: [t.id] }),
    foreignKey({ name: 'FK_signatures_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('cascade'),
    index('IX_signatures_image_id').on(t.imageId),
    foreignKey({ name: 'FK_signatures_repositories_repository_id', columns: [t.repositoryId], foreignColumns: [repositories.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_signatures_signature_types_type_id', columns: [t.typeId], foreignColumns: [signatureTypes.id] }).onDelete('restrict'),
  ],
);

export const tags = modelregistry.table(
  'tags',
  {
    id: uuid('id').notNull().defaultRandom(),
    name: varchar('name').notNull(),
    harborId: integer('harbor_id'),
    imageId: uuid('image_id').notNull(),
    // Added: when the catalogue learned of it; a refresh's listing read before then does not archive it (rows of before 2026-12 hold the migration's time).
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_tags', columns: [t.id] }),
    foreignKey({ name: 'FK_tags_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('cascade'),
    index('IX_tags_image_id').on(t.imageId),
  ],
);

export const validationResults = modelregistry.table(
  'validation_results',
  {
    id: uuid('id').notNull().defaultRandom(),
    repositoryId: uuid('repository_id').notNull(),
    imageId: uuid('image_id'),
    tag: varchar('tag').notNull(),
    reportRef: varchar('report_ref'),
    scannerName: varchar('scanner_name'),
    scanStatus: varchar('scan_status'),
    scanSeverity: varchar('scan_severity'),
    scanSummary: varchar('scan_summary'),
    scanType: varchar('scan_type').notNull().default(''),
    startTime: timestamp('start_time', { withTimezone: true, mode: 'string' }),
    endTime: timestamp('end_time', { withTimezone: true, mode: 'string' }),
    xumiStatus: varchar('xumi_status'),
    xumiSummary: varchar('xumi_summary'),
    xumiStartTime: timestamp('xumi_start_time', { withTimezone: true, mode: 'string' }),
    xumiEndTime: timestamp('xumi_end_time', { withTimezone: true, mode: 'string' }),
    statusId: integer('status_id').notNull().default(0),
    errorMessage: varchar('error_message'),
    errorDetails: varchar('error_details'),
    ...softDelete(),
  },
  (t) => [
    primaryKey({ name: 'PK_validation_results', columns: [t.id] }),
    foreignKey({ name: 'FK_validation_results_images_image_id', columns: [t.imageId], foreignColumns: [images.id] }).onDelete('set null'),
    index('IX_validation_results_image_id').on(t.imageId),
    foreignKey({ name: 'FK_validation_results_repositories_repository_id', columns: [t.repositoryId], foreignColumns: [repositories.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_validation_results_validation_statuses_status_id', columns: [t.statusId], foreignColumns: [validationStatuses.id] }).onDelete('restrict'),
  ],
);
