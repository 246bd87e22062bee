import { sql } from 'drizzle-orm';
import { boolean, foreignKey, integer, text, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { modelregistry, softDelete } from './common';
import { tenants } from './tenants';

/** Harbor registry endpoints (remote registries) the service manages; the credential only sealed (lib/secrets). */
export const remoteRegistries = modelregistry.table(
  'remote_registries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The managed Harbor instance (its registry address) the endpoint lives on. */
    harborInstance: varchar('harbor_instance', { length: 255 }).notNull(),
    harborRegistryId: integer('harbor_registry_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    /** Null: shared by every tenant. */
    tenantId: varchar('tenant_id'),
    type: varchar('type', { length: 64 }).notNull(),
    url: varchar('url', { length: 2048 }).notNull(),
    insecure: boolean('insecure').notNull().default(false),
    description: varchar('description', { length: 1024 }),
    accessKey: varchar('access_key', { length: 255 }),
    sealedSecret: text('sealed_secret'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
    ...softDelete(),
  },
  (t) => [
    foreignKey({ name: 'FK_remote_registries_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    // One live endpoint of a name per Harbor instance; archived ones keep their history.
    uniqueIndex('ux_remote_registries_instance_name').on(t.harborInstance, t.name).where(sql`not ${t.isArchived}`),
  ],
);
