import { createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import { decodeOperationId, readOperation } from '../operations';
import { notFoundProblem } from '../problem';
import { createRouter } from '../router';
import { json, OperationSchema, problem } from '../schemas/common';
import { line } from '../../lib/text';

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

export function createOperationsRouter(deps: { client: Client }) {
  const router = createRouter();
  router.openapi(getOperation, async (c) => {
    const { id } = c.req.valid('param');
    const ids = decodeOperationId(id);
    const operation = ids && (await readOperation(deps.client, ids.workflowId, ids.runId));
    if (!operation) return notFoundProblem(c, 'Operation not found', `no operation "${id}"`);
    return c.json(operation, 200);
  });
  return router;
}
