import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findTenant, toTenantRecord, type TenantInput, type TenantRecord } from '../../db/queries/tenants';
import { tenants } from '../../db/schema';

export function createTenantActivities({ db }: { db: Db }) {
  return {
    findTenant(name: string): Promise<TenantRecord | null> {
      return findTenant(db, name);
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
