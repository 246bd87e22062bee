import { sql } from 'drizzle-orm';
import { foreignKey, timestamp, uniqueIndex, uuid, varchar } from 'drizzle-orm/pg-core';
import { bytea, modelregistry } from './common';
import { tenants } from './tenants';

const time = (column: string) => timestamp(column, { withTimezone: true, mode: 'string' });

/**
 * A credential for the virtual registries' pull endpoint that does not expire in an hour (CI
 * pulling models). Only the sha256 of the token is kept, never the token: it is 256 random bits,
 * so its hash cannot be reversed or guessed whatever the hash's speed, and a slow salted password
 * hash would only cost CPU on every pull and forbid the indexed lookup by hash the pull makes.
 * A revoked token keeps its row (`revoked_at`), so its name is free again and its audit stays.
 */
export const pullTokens = modelregistry.table(
  'pull_tokens',
  {
    /** Chosen by the create workflow, so that a retried insert finds its own row. */
    id: uuid('id').primaryKey(),
    tenantId: varchar('tenant_id').notNull(),
    name: varchar('name', { length: 255 }).notNull(),
    description: varchar('description', { length: 1024 }),
    tokenHash: bytea('token_hash').notNull(),
    /** The virtual registries it may pull from; null: every one of the tenant's. */
    virtualRegistryIds: uuid('virtual_registry_ids').array(),
    createdBy: varchar('created_by', { length: 255 }).notNull(),
    createdAt: time('created_at').notNull().default(sql`now()`),
    /** Null: never expires. */
    expiresAt: time('expires_at'),
    revokedAt: time('revoked_at'),
    /** Written by the pull path (data plane), at most once a minute per token. */
    lastUsedAt: time('last_used_at'),
  },
  (t) => [
    foreignKey({ name: 'FK_pull_tokens_tenants_tenant_id', columns: [t.tenantId], foreignColumns: [tenants.name] }).onDelete('restrict'),
    uniqueIndex('ux_pull_tokens_tenant_name').on(t.tenantId, t.name).where(sql`${t.revokedAt} is null`),
    uniqueIndex('ux_pull_tokens_token_hash').on(t.tokenHash),
  ],
);
