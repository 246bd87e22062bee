import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { markDispatched } from '../db/inbox/deliveries';
import type { Logger } from '../lib/logger';
import { dispatchHarborEvents, type Delivery } from '../activities/temporal/dispatch';

/**
 * Deliveries handed over in one go: a backlog becomes one signal per repository, not one per
 * delivery. Under load the queue grows while a chunk is in flight, so the next chunk carries more
 * deliveries per signal: fewer gRPC calls for this process and Temporal, which share the cores
 * with the receiver and PostgreSQL.
 */
const CHUNK = 256;

/**
 * Hands committed inbox rows to Temporal after the receiver has answered, a few chunks at a time. A job
 * lost here (a crash, Temporal unreachable) leaves its row undispatched, and the
 * webhook-inbox-sweeper Schedule dispatches it: the 2xx only ever follows the inbox commit.
 */
export function createWebhookDispatcher(deps: { db: Db; client: Client; taskQueue: string; logger: Logger; concurrency?: number; failures?: { inc(): void } }) {
  const queue: Delivery[] = [];
  let running = 0;
  // Few at a time: the receiver's answers come first; the backlog drains when deliveries slow down.
  const limit = deps.concurrency ?? 2;
  const idle: (() => void)[] = [];

  const pump = () => {
    while (running < limit && queue.length > 0) {
      const chunk = queue.splice(0, CHUNK);
      const ids = chunk.map((d) => d.inboxId);
      running++;
      void dispatchHarborEvents(deps.client, deps.taskQueue, chunk)
        .then(() => markDispatched(deps.db, ids, 'dispatched'))
        .catch((err: unknown) => {
          deps.failures?.inc();
          deps.logger.warn({ err: (err as Error).message, inboxIds: ids }, 'webhook dispatch failed; the sweeper will retry');
        })
        .finally(() => {
          running--;
          if (running === 0 && queue.length === 0) for (const resolve of idle.splice(0)) resolve();
          pump();
        });
    }
  };

  return {
    enqueue(delivery: Delivery) {
      queue.push(delivery);
      pump();
    },
    /** Resolves once nothing is queued or in flight (tests, shutdown). */
    idle(): Promise<void> {
      if (running === 0 && queue.length === 0) return Promise.resolve();
      return new Promise((resolve) => idle.push(resolve));
    },
    get pending() {
      return queue.length + running;
    },
  };
}
export type WebhookDispatcher = ReturnType<typeof createWebhookDispatcher>;
