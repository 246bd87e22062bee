import { isGrpcServiceError, type Client } from '@temporalio/client';
import { isDatabaseUnavailable } from '../lib/failures';
import { problemBody, type Problem } from './problem';

/** gRPC's codes for a call that got no answer: past its deadline, or the server unreachable (the SDK's retries spent). */
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;

/** What a request may spend on Temporal beyond a mutation's own wait for its workflow. */
const BEYOND_MUTATION_WAIT_MS = 10_000;

/**
 * Runs `fn` (a request's handling) with every Temporal call in it bounded by one deadline: a call
 * with no deadline waits for ever on a frontend that accepts the connection and never answers.
 * Calls that set their own (the mutation's wait, progress queries) keep theirs.
 */
export function withTemporalDeadline<T>(client: Client, mutationWaitMs: number, fn: () => Promise<T>): Promise<T> {
  return client.connection.withDeadline(Date.now() + mutationWaitMs + BEYOND_MUTATION_WAIT_MS, fn);
}

/**
 * The 503 for a request whose Temporal call got no answer (the frontend down, unreachable or hung),
 * or whose PostgreSQL query found no server; null for any other error.
 */
export function unavailableProblem(err: unknown): Problem | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && (e.code === DEADLINE_EXCEEDED || e.code === UNAVAILABLE)) {
      const why = e.code === UNAVAILABLE ? 'is unreachable' : 'did not answer in time';
      return problemBody(503, 'temporal-unavailable', 'Temporal is not answering', `the workflow service ${why}; retry later (with the same Idempotency-Key, to join anything this request started)`);
    }
  }
  if (isDatabaseUnavailable(err)) return problemBody(503, 'database-unavailable', 'PostgreSQL is not answering', 'the database could not be reached; retry later');
  return null;
}
