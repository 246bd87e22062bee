import type { Client } from '@temporalio/client';
import { decodeOperationId, readOperation } from '../operations';
import { problemBody, ProblemError } from '../problem';

/** Operations (a mutation's workflow run), for every transport. */
export function createOperationService(deps: { client: Client }) {
  return {
    /** `withinMs`: the look's own deadline, for a caller outside a request's (a stream's repeated looks). */
    async get(id: string, opts: { withinMs?: number } = {}) {
      const ids = decodeOperationId(id);
      const read = async () => ids && readOperation(deps.client, ids.workflowId, ids.runId);
      const operation = await (opts.withinMs === undefined ? read() : deps.client.connection.withDeadline(Date.now() + opts.withinMs, read));
      if (!operation) throw new ProblemError(problemBody(404, 'not-found', 'Operation not found', `no operation "${id}"`));
      return operation;
    },
  };
}
export type OperationService = ReturnType<typeof createOperationService>;
