import { ApplicationFailure } from '@temporalio/common';
import { failure, FailureType, isFailure } from '../../lib/failure-types';
import { isPermanentHttpStatus } from '../../lib/failures';

/**
 * Harbor's answers as failure types of their own (lib/failure-types): a Harbor 404 is not the
 * caller's NotFound, so unless a workflow translates it the API answers an upstream 502.
 */
export const HarborFailure = {
  NotFound: FailureType.HarborNotFound,
  Conflict: FailureType.HarborConflict,
  BadRequest: FailureType.HarborBadRequest,
  Forbidden: FailureType.HarborForbidden,
  Rejected: FailureType.HarborRejected,
  Unavailable: FailureType.HarborUnavailable,
} as const;

/** Harbor answered 404 (after the client turned it into a typed failure). */
export const isNotFound = (err: unknown) => isFailure(err, HarborFailure.NotFound);

/** Harbor answered 409: what was to be created is there already. */
export const isConflict = (err: unknown) => isFailure(err, HarborFailure.Conflict);

interface HarborErrorBody {
  errors?: { code?: string; message?: string }[];
}

function harborMessage(body: unknown): string | undefined {
  const errors = (body as HarborErrorBody | undefined)?.errors;
  const messages = errors?.map((e) => e.message ?? e.code).filter(Boolean);
  return messages && messages.length > 0 ? messages.join('; ') : undefined;
}

/** Seconds or an HTTP date, as Retry-After allows; capped so a bad header cannot stall a workflow. */
export function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 5 * 60_000) : undefined;
}

/** The type of a Harbor answer no retry can fix; undefined for those a retry may (408, 429, 5xx). */
function permanentType(status: number): FailureType | undefined {
  if (status === 400 || status === 422) return HarborFailure.BadRequest;
  if (status === 404) return HarborFailure.NotFound;
  if (status === 409) return HarborFailure.Conflict;
  if (status === 401 || status === 403) return HarborFailure.Forbidden;
  return isPermanentHttpStatus(status) ? HarborFailure.Rejected : undefined;
}

/**
 * Turns a Harbor error response into a Temporal failure: every 4xx but 408 and 429 is
 * non-retryable (400/404/409 and 401/403 typed for activities to branch on); 408, 429 and 5xx are
 * retryable, honouring Retry-After. The message names the operation and Harbor's own message,
 * never a credential.
 */
export function harborFailure(operation: string, response: Response, body: unknown): ApplicationFailure {
  const message = `Harbor ${operation}: ${response.status} ${harborMessage(body) ?? response.statusText}`;
  const details = { harborStatus: response.status, operation };
  const permanent = permanentType(response.status);
  if (permanent) return failure(permanent, message, details);
  const delay = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
  return ApplicationFailure.create({ message, type: HarborFailure.Unavailable, nonRetryable: false, details: [details], nextRetryDelay: delay });
}

/** A request that never got an answer (refused, reset, timed out): retryable. */
export function harborNetworkFailure(operation: string, err: unknown): ApplicationFailure {
  const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err);
  return ApplicationFailure.create({ message: `Harbor ${operation}: ${reason}`, type: HarborFailure.Unavailable, nonRetryable: false });
}
