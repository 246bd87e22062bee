import { sql } from 'drizzle-orm';
import type { Db } from '../client';

/** The cheapest round trip: the database answers at all. */
export async function pingDatabase(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
