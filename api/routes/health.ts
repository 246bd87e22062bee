import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import { createRouter } from '../router';
import { json } from '../schemas/common';
import { readiness } from '../services/health';

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

export function createHealthRouter(deps: { db: Db; client: Client }) {
  const router = createRouter();
  router.openapi(healthz, (c) => c.json({ status: 'ok' as const }, 200));
  router.openapi(readyz, async (c) => {
    const { ready, checks } = await readiness(deps);
    return c.json({ status: ready ? ('ok' as const) : ('unavailable' as const), checks }, ready ? 200 : 503);
  });
  return router;
}
