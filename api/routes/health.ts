import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { pingDatabase } from '../../db/queries/health';
import { createRouter } from '../router';
import { json } from '../schemas/common';

const CHECK_TIMEOUT_MS = 2000;

const Health = z.object({ status: z.enum(['ok', 'unavailable']), checks: z.record(z.string(), z.string()).optional() }).openapi('Health');

const healthz = createRoute({
  method: 'get',
  path: '/healthz',
  tags: ['Health'],
  summary: 'The process is up',
  responses: { 200: json('Up', Health) },
});

const readyz = createRoute({
  method: 'get',
  path: '/readyz',
  tags: ['Health'],
  summary: 'The database and Temporal are reachable; says which one is not',
  responses: {
    200: json('Ready', Health),
    503: json('Not ready', Health),
  },
});

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

export function createHealthRouter(deps: { db: Db; client: Client }) {
  const router = createRouter();
  router.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
  router.openapi(readyz, async (c) => {
    const [database, temporal] = await Promise.all([
      probe(() => pingDatabase(deps.db)),
      probe(() => deps.client.workflowService.getSystemInfo({})),
    ]);
    const ready = database === 'ok' && temporal === 'ok';
    return c.json({ status: ready ? ('ok' as const) : ('unavailable' as const), checks: { database, temporal } }, ready ? 200 : 503);
  });
  return router;
}
