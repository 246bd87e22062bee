import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import type { Database } from './client';

const migrationsFolder = fileURLToPath(new URL('./migrations', import.meta.url));

/**
 * Applies the drizzle-kit migrations in db/migrations; already applied ones are skipped.
 * The bookkeeping table lives in drizzle's own schema: the first migration creates `modelregistry`.
 */
export async function migrateDatabase({ db }: Database): Promise<void> {
  await migrate(db, { migrationsFolder });
}
