import { and, asc, eq, gt, inArray, like } from 'drizzle-orm';
import type { Db } from '../client';
import { tenants } from '../schema';
import { isoTime } from '../../lib/time';
import { escapeLike, pageOf, type Page } from './page';

export interface TenantInput {
  name: string;
  companyName: string;
  url: string;
}

/** A tenant as the API shows it and workflows return it. */
export interface TenantRecord extends TenantInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export function toTenantRecord(row: typeof tenants.$inferSelect): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    companyName: row.companyName,
    url: row.url,
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
  };
}

export async function findTenant(db: Db, name: string): Promise<TenantRecord | null> {
  const [row] = await db.select().from(tenants).where(eq(tenants.name, name)).limit(1);
  return row ? toTenantRecord(row) : null;
}

/** Every tenant's name, for deciding per tenant what a caller may do. */
export async function listTenantNames(db: Db): Promise<string[]> {
  return (await db.select({ name: tenants.name }).from(tenants)).map((t) => t.name);
}

/** Live tenants among `names`, by name, after the name `after`. */
export async function listTenants(db: Db, q: { names: string[]; namePrefix?: string; after?: string; limit: number }): Promise<Page<TenantRecord>> {
  const rows = await db
    .select()
    .from(tenants)
    .where(
      and(
        eq(tenants.isArchived, false),
        inArray(tenants.name, q.names),
        q.after === undefined ? undefined : gt(tenants.name, q.after),
        q.namePrefix ? like(tenants.name, `${escapeLike(q.namePrefix)}%`) : undefined,
      ),
    )
    .orderBy(asc(tenants.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toTenantRecord);
}
