import { sql } from 'drizzle-orm';
import type { Db } from '../client';

/**
 * Inbox rows by source: undispatched (stored, not yet handed to Temporal) and dispatched (handed
 * over, not yet applied). Both counts walk a partial index of the rows in that state only.
 */
export async function inboxBacklog(db: Db): Promise<{ source: string; state: string; n: number }[]> {
  return db.execute<{ source: string; state: string; n: number }>(sql`
    select source, 'undispatched' as state, count(*)::int as n from modelregistry.webhook_events where dispatched_at is null and status = 'received' group by source
    union all
    select source, 'dispatched', count(*)::int from modelregistry.webhook_events where status = 'dispatched' group by source`);
}
