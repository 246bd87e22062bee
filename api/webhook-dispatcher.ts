import type { Client } from '@temporalio/client';
import type { Db } from '../db/client';
import { markDispatched } from '../db/inbox';
import type { HarborEvent } from '../lib/harbor-events';
import type { Logger } from '../lib/logger';
import { dispatchHarborEvent } from '../lib/webhook-dispatch';

interface Job {
  target: { registry: string; projectId: string };
  inboxId: string;
  event: HarborEvent;
  details: unknown;
}

/**
 * Hands committed inbox rows to Temporal after the receiver has answered, a few at a time. A job
 * lost here (a crash, Temporal unreachable) leaves its row undispatched, and the
 * webhook-inbox-sweeper Schedule dispatches it: the 2xx only ever follows the inbox commit.
 */
export function createWebhookDispatcher(deps: { db: Db; client: Client; taskQueue: string; logger: Logger; concurrency?: number }) {
  const queue: Job[] = [];
  let running = 0;
  // Few at a time: the receiver's answers come first; the backlog drains when deliveries slow down.
  const limit = deps.concurrency ?? 2;
  const idle: (() => void)[] = [];

  const pump = () => {
    while (running < limit && queue.length > 0) {
      const job = queue.shift()!;
      running++;
      void dispatchHarborEvent(deps.client, deps.taskQueue, job.target, job.inboxId, job.event, job.details)
        .then(() => markDispatched(deps.db, job.inboxId, 'dispatched'))
        .catch((err: unknown) => deps.logger.warn({ err: (err as Error).message, inboxId: job.inboxId }, 'webhook dispatch failed; the sweeper will retry'))
        .finally(() => {
          running--;
          if (running === 0 && queue.length === 0) for (const resolve of idle.splice(0)) resolve();
          pump();
        });
    }
  };

  return {
    enqueue(job: Job) {
      queue.push(job);
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
