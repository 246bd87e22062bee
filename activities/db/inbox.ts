import type { Db } from '../../db/client';
import { markProcessed } from '../../db/inbox/deliveries';

/** The webhook inbox rows whose events the catalogue has applied. */
export function createInboxActivities({ db }: { db: Db }) {
  return {
    async markWebhookEventsProcessed(ids: string[]): Promise<void> {
      await markProcessed(db, ids);
    },
  };
}
