import { createRoute, z } from '@hono/zod-openapi';
import { createRouter } from '../router';
import { json, OperationSchema, problem } from '../schemas/common';
import { line } from '../../lib/text';
import type { OperationService } from '../services/operations';

const getOperation = createRoute({
  method: 'get',
  path: '/operations/{id}',
  tags: ['Operations'],
  summary: 'Status, result or failure of a long-running mutation',
  request: { params: z.object({ id: line().min(1).max(4096) }) },
  responses: {
    200: json('The operation', OperationSchema),
    404: problem('No such operation'),
  },
});

export function createOperationsRouter(deps: { operations: OperationService }) {
  const router = createRouter();
  router.openapi(getOperation, async (c) => c.json(await deps.operations.get(c.req.valid('param').id), 200));
  return router;
}
