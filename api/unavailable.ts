import { isGrpcServiceError, type Client } from '@temporalio/client';
import { isDatabaseUnavailable } from '../lib/failures';
import { problemBody, ProblemError, RETRY_AFTER, type Problem } from './problem';

/** gRPC's codes for a call that got no answer: past its deadline, or the server unreachable (the SDK's retries spent). */
const DEADLINE_EXCEEDED = 4;
const UNAVAILABLE = 14;
/** And INTERNAL when the HTTP/2 stream was reset under the call: the transport failed, not Temporal's logic (seen just after a hung frontend resumes). */
const INTERNAL = 13;
const noAnswer = (e: { code: number; details: string }) => e.code === DEADLINE_EXCEEDED || e.code === UNAVAILABLE || (e.code === INTERNAL && /RST_STREAM/.test(e.details));

/** What a request may spend on Temporal beyond a mutation's own wait for its workflow. */
const BEYOND_MUTATION_WAIT_MS = 10_000;
/** And in all, a little longer: a Temporal call that gets no answer is reported as such first. */
const BEYOND_TEMPORAL_DEADLINE_MS = 5_000;

/**
 * Runs `fn` (a request's handling) within its deadlines. Every Temporal call in it shares one: a call
 * with no deadline waits for ever on a frontend that accepts the connection and never answers
 * (calls that set their own, the mutation's wait, progress queries and user reads, keep theirs). And the whole
 * of it is answered a little after that: a query on a PostgreSQL connection that hangs has no
 * deadline either, so past it the request is a 503 while `fn` is left to finish or fail unheard.
 */
export async function withinDeadlines<T>(client: Client, mutationWaitMs: number, fn: () => Promise<T>): Promise<T> {
  const temporalDeadline = Date.now() + mutationWaitMs + BEYOND_MUTATION_WAIT_MS;
  const work = client.connection.withDeadline(temporalDeadline, fn);
  work.catch(() => undefined); // heard by the race below, unless the request was answered before
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new ProblemError(problemBody(503, 'request-timeout', 'The request did not finish in time', 'a system it needs is not answering; retry later (with the same Idempotency-Key, to join anything this request started)'), RETRY_AFTER)),
      temporalDeadline + BEYOND_TEMPORAL_DEADLINE_MS - Date.now(),
    );
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The 503 for a request whose Temporal call got no answer (the frontend down, unreachable or hung),
 * or whose PostgreSQL query found no server; null for any other error.
 */
export function unavailableProblem(err: unknown): Problem | null {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && noAnswer(e)) {
      const why = e.code === DEADLINE_EXCEEDED ? 'did not answer in time' : 'is unreachable';
      return problemBody(503, 'temporal-unavailable', 'Temporal is not answering', `the workflow service ${why}; retry later (with the same Idempotency-Key, to join anything this request started)`);
    }
  }
  if (isDatabaseUnavailable(err)) return problemBody(503, 'database-unavailable', 'PostgreSQL is not answering', 'the database could not be reached; retry later');
  return null;
}
