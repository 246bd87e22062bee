import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { operationLocation, runMutation, type MutationDeps, type MutationSpec, type OperationView } from '../operations';
import { ProblemError } from '../problem';

/** A mutation as the services answer it, whatever the transport: done with its answer, or still running. */
export type Mutation<T> = { done: true; operationId: string; kind: string; value: T } | { done: false; operationId: string; operation: OperationView };

/**
 * Runs a mutation's workflow (runMutation: joins, idempotency keys, the bounded wait) and shapes
 * a success with `answer`; a failure or a busy resource is thrown as its problem.
 */
export async function mutate<W extends Workflow, T>(
  deps: MutationDeps,
  workflowFn: W,
  spec: MutationSpec<W>,
  answer: (result: WorkflowResultType<W>, operationId: string) => T | Promise<T>,
): Promise<Mutation<T>> {
  const outcome = await runMutation(deps, workflowFn, spec);
  switch (outcome.state) {
    case 'completed':
      return { done: true, operationId: outcome.operationId, kind: workflowFn.name, value: await answer(outcome.result, outcome.operationId) };
    case 'running':
      return { done: false, operationId: outcome.operationId, operation: outcome.operation };
    case 'failed':
      throw new ProblemError(outcome.problem, { 'X-Operation-Id': outcome.operationId });
    case 'busy':
      throw new ProblemError(outcome.problem, { Location: operationLocation(outcome.operationId) });
  }
}
