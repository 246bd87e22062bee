import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { pingDatabase } from '../../db/queries/health';

const CHECK_TIMEOUT_MS = 2000;

async function probe(check: () => Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return `down: ${err instanceof Error ? err.message : String(err)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** Readiness as /readyz and grpc.health.v1 report it: the database and Temporal reachable, or which one is not. */
export async function readiness(deps: { db: Db; client: Client }) {
  const [database, temporal] = await Promise.all([probe(() => pingDatabase(deps.db)), probe(() => deps.client.workflowService.getSystemInfo({}))]);
  return { ready: database === 'ok' && temporal === 'ok', checks: { database, temporal } };
}
