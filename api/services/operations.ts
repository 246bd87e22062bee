import type { Client } from '@temporalio/client';
import { decodeOperationId, readOperation } from '../operations';
import { problemBody, ProblemError } from '../problem';

/** Operations (a mutation's workflow run), for every transport. */
export function createOperationService(deps: { client: Client }) {
  return {
    async get(id: string) {
      const ids = decodeOperationId(id);
      const operation = ids && (await readOperation(deps.client, ids.workflowId, ids.runId));
      if (!operation) throw new ProblemError(problemBody(404, 'not-found', 'Operation not found', `no operation "${id}"`));
      return operation;
    },
  };
}
export type OperationService = ReturnType<typeof createOperationService>;
