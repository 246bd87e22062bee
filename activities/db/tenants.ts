import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { toTenantRecord, type TenantInput, type TenantRecord } from '../../db/queries/tenants';
import { tenants } from '../../db/schema';

export function createTenantActivities({ db }: { db: Db }) {
  return {
    async findTenant(name: string): Promise<TenantRecord | null> {
      const [row] = await db.select().from(tenants).where(eq(tenants.name, name)).limit(1);
      return row ? toTenantRecord(row) : null;
    },

    /** Insert or update by name; a retry writes the same values again, so it is idempotent. */
    async upsertTenant(input: TenantInput): Promise<TenantRecord> {
      const [row] = await db
        .insert(tenants)
        .values(input)
        .onConflictDoUpdate({
          target: tenants.name,
          set: { companyName: input.companyName, url: input.url, updatedAt: sql`now()` },
        })
        .returning();
      if (!row) throw new Error(`upsert of tenant ${input.name} returned no row`);
      return toTenantRecord(row);
    },
  };
}
