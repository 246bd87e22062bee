import { sql } from 'drizzle-orm';
import { timestamp, varchar } from 'drizzle-orm/pg-core';
import { id, modelregistry, softDelete } from './common';

/** Not in the seed DDL; the runbook's `POST /tenants` needs it. `name` is the tenant id used everywhere. */
export const tenants = modelregistry.table('tenants', {
  id: id(),
  // A constraint, not just an index: projects.tenant_id references it.
  name: varchar('name', { length: 255 }).notNull().unique('ux_tenant_name'),
  companyName: varchar('company_name', { length: 255 }).notNull(),
  url: varchar('url', { length: 2048 }).notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'string' }).notNull().default(sql`now()`),
  ...softDelete(),
});
