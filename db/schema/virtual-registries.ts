import { sql } from 'drizzle-orm';
import { bigint, check, foreignKey, index, integer, primaryKey, smallint, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { bytea, modelregistry, softDelete } from './common';
import { tenants } from './tenants';

const times = () => ({
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
});

/** A remote OCI registry a virtual registry pulls from (seed 001's Upstream); the secret only sealed (lib/secrets). */
export const upstreams = modelregistry.table(
  'upstreams',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: varchar('tenant_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    url: varchar('url', { length: 2048 }).notNull(),
    cacheValidityHours: integer('cache_validity_hours').notNull().default(24),
    /** `none` | `basic` now; a column, not a boolean, so short-lived token kinds (cloud IAM) can follow. */
    credentialKind: varchar('credential_kind', { length: 32 }).notNull().default('none'),
    username: varchar('username', { length: 255 }),
    sealedSecret: text('sealed_secret'),
    ...times(),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_upstreams_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    uniqueIndex('ux_upstreams_tenant_name').on(t.tenantId, t.name).where(sql`not ${t.isArchived}`),
    check('ck_upstreams_cache_validity_hours', sql`${t.cacheValidityHours} >= 0`),
    check('ck_upstreams_url_scheme', sql`${t.url} ~ '^https?://'`),
  ],
);

/** One pull address in front of an ordered list of upstreams (seed 001's Registry). */
export const virtualRegistries = modelregistry.table(
  'virtual_registries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    tenantId: varchar('tenant_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    ...times(),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_virtual_registries_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    uniqueIndex('ux_virtual_registries_tenant_name').on(t.tenantId, t.name).where(sql`not ${t.isArchived}`),
  ],
);

/** The ordered list (seed 001's RegistryUpstream): position 1 is asked first. Rows are replaced, not archived. */
export const virtualRegistryUpstreams = modelregistry.table(
  'virtual_registry_upstreams',
  {
    registryId: uuid('registry_id').notNull(),
    upstreamId: uuid('upstream_id').notNull(),
    position: smallint('position').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  },
  (t) => [
    foreignKey({ name: 'FK_virtual_registry_upstreams_registry', columns: [t.registryId], foreignColumns: [virtualRegistries.id] }).onDelete('cascade'),
    foreignKey({ name: 'FK_virtual_registry_upstreams_upstream', columns: [t.upstreamId], foreignColumns: [upstreams.id] }).onDelete('restrict'),
    primaryKey({ name: 'pk_virtual_registry_upstreams', columns: [t.registryId, t.position] }),
    uniqueIndex('ux_virtual_registry_upstreams_registry_upstream').on(t.registryId, t.upstreamId),
    index('ix_virtual_registry_upstreams_upstream').on(t.upstreamId),
    check('ck_virtual_registry_upstreams_position', sql`${t.position} BETWEEN 1 AND 5`),
  ],
);

/**
 * A tenant's virtual-registry configuration version: triggers (migration 0013) bump it in the same
 * transaction as any change to the tenant's virtual registries, their upstream lists or its upstreams.
 * The pull path keeps each registry's resolution (its upstreams in order) in memory and reads this
 * number in the same round trip as its first cache lookup: a change is seen by the next pull in every
 * API process, never a stale order.
 */
export const virtualRegistryVersions = modelregistry.table('virtual_registry_versions', {
  tenantId: varchar('tenant_id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

/** Number of hash partitions of `cache_entries`; fixed: changing it means re-partitioning the table. */
export const CACHE_ENTRY_PARTITIONS = 8;

/**
 * A file cached from an upstream (seed 001's Cache::Entry), expected to be very large. In PostgreSQL
 * it is declaratively partitioned, `PARTITION BY HASH (upstream_id)` into CACHE_ENTRY_PARTITIONS
 * tables `cache_entries_00…07`, written by hand in its migration (drizzle-kit cannot say it):
 * every lookup is by upstream and key (relative path or digest), so it prunes to one partition;
 * deleting an upstream's entries touches one partition; hashing spreads tenants evenly. A range on
 * time would make every lookup by key scan all partitions. The primary key carries the partition key,
 * as PostgreSQL requires. This declaration gives typed queries; the snapshot matches the table.
 */
export const cacheEntries = modelregistry.table(
  'cache_entries',
  {
    id: uuid('id').notNull().defaultRandom(),
    upstreamId: uuid('upstream_id').notNull(),
    /** The virtual registry the entry was first pulled through; the entry serves every registry using the upstream. */
    registryId: uuid('registry_id'),
    tenantId: varchar('tenant_id').notNull(),
    relativePath: varchar('relative_path', { length: 1024 }).notNull(),
    /** The natural key of a blob (sha256:…); a manifest by tag has the digest it resolved to. */
    digest: varchar('digest', { length: 256 }),
    upstreamCheckedAt: timestamp('upstream_checked_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    /** bigint, not the seed's integer: model weights pass 2 GiB. */
    size: bigint('size', { mode: 'number' }).notNull(),
    status: smallint('status').notNull().default(0),
    file: text('file'),
    objectStorageKey: varchar('object_storage_key', { length: 1024 }).notNull(),
    upstreamEtag: varchar('upstream_etag', { length: 255 }),
    contentType: varchar('content_type', { length: 255 }),
    fileMd5: bytea('file_md5'),
    fileSha1: bytea('file_sha1').notNull(),
    ...times(),
  },
  (t) => [
    primaryKey({ name: 'pk_cache_entries', columns: [t.upstreamId, t.id] }),
    foreignKey({ name: 'FK_cache_entries_upstreams', columns: [t.upstreamId], foreignColumns: [upstreams.id] }).onDelete('restrict'),
    foreignKey({ name: 'FK_cache_entries_virtual_registries', columns: [t.registryId], foreignColumns: [virtualRegistries.id] }).onDelete('set null'),
    foreignKey({ name: 'FK_cache_entries_tenants', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    uniqueIndex('ux_cache_entries_upstream_path').on(t.upstreamId, t.relativePath),
    index('ix_cache_entries_upstream_digest').on(t.upstreamId, t.digest),
  ],
);
