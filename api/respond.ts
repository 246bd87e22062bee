import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { Context } from 'hono';
import { operationLocation, runMutation, type MutationDeps, type MutationSpec } from './operations';
import { problemResponse } from './problem';
import type { Mutation } from './services/mutation';

/**
 * Runs a mutation and answers for every outcome but success: 202 + Location while it runs,
 * the problem when it failed or another one is busy. On success the route shapes the result.
 */
export async function mutationResponse<W extends Workflow>(
  c: Context,
  deps: MutationDeps,
  workflowFn: W,
  spec: MutationSpec<W>,
): Promise<{ done: true; result: WorkflowResultType<W> } | { done: false; response: never }> {
  const outcome = await runMutation(deps, workflowFn, spec);
  const location = operationLocation(outcome.operationId);
  switch (outcome.state) {
    case 'completed':
      c.header('X-Operation-Id', outcome.operationId);
      return { done: true, result: outcome.result };
    case 'running':
      // Typed `never` like problemResponse: each route documents its 202 separately.
      return { done: false, response: c.json(outcome.operation, 202, { Location: location }) as never };
    case 'failed':
      return { done: false, response: problemResponse(c, outcome.problem, { 'X-Operation-Id': outcome.operationId }) };
    case 'busy':
      return { done: false, response: problemResponse(c, outcome.problem, { Location: location }) };
  }
}

/** A service's mutation over REST: 202 + Location while it runs; once done, X-Operation-Id and the route's answer. */
export function answerMutation<T, R>(c: Context, mutation: Mutation<T>, done: (value: T) => R): R {
  // Typed `never` like problemResponse: each route documents its 202 separately.
  if (!mutation.done) return c.json(mutation.operation, 202, { Location: operationLocation(mutation.operationId) }) as never;
  c.header('X-Operation-Id', mutation.operationId);
  return done(mutation.value);
}
