import { ApplicationFailure } from '@temporalio/common';
import { isPermanentHttpStatus } from '../../lib/failures';

/** Failure types a workflow can branch on; the API maps NotFound/Conflict/ValidationFailed to HTTP. */
export const HarborFailure = {
  NotFound: 'NotFound',
  Conflict: 'Conflict',
  BadRequest: 'ValidationFailed',
  Forbidden: 'HarborForbidden',
  Rejected: 'HarborRejected',
  Unavailable: 'HarborUnavailable',
} as const;

/** Harbor answered 404 (after the client turned it into a typed failure). */
export const isNotFound = (err: unknown) => err instanceof ApplicationFailure && err.type === HarborFailure.NotFound;

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

/**
 * Turns a Harbor error response into a Temporal failure: every 4xx but 408 and 429 is
 * non-retryable (400/404/409 and 401/403 typed for workflows to branch on); 408, 429 and 5xx are
 * retryable, honouring Retry-After. The message
 * names the operation and Harbor's own message, never a credential.
 */
export function harborFailure(operation: string, response: Response, body: unknown): ApplicationFailure {
  const message = `Harbor ${operation}: ${response.status} ${harborMessage(body) ?? response.statusText}`;
  const details = [{ harborStatus: response.status, operation }];
  switch (response.status) {
    case 400:
    case 422:
      return ApplicationFailure.create({ message, type: HarborFailure.BadRequest, nonRetryable: true, details });
    case 404:
      return ApplicationFailure.create({ message, type: HarborFailure.NotFound, nonRetryable: true, details });
    case 409:
      return ApplicationFailure.create({ message, type: HarborFailure.Conflict, nonRetryable: true, details });
    case 401:
    case 403:
      return ApplicationFailure.create({ message, type: HarborFailure.Forbidden, nonRetryable: true, details });
    default: {
      if (isPermanentHttpStatus(response.status)) return ApplicationFailure.create({ message, type: HarborFailure.Rejected, nonRetryable: true, details });
      const delay = response.status === 429 ? retryAfterMs(response.headers.get('retry-after')) : undefined;
      return ApplicationFailure.create({ message, type: HarborFailure.Unavailable, nonRetryable: false, details, nextRetryDelay: delay });
    }
  }
}

/** A request that never got an answer (refused, reset, timed out): retryable. */
export function harborNetworkFailure(operation: string, err: unknown): ApplicationFailure {
  const reason = err instanceof Error ? (err.name === 'TimeoutError' ? 'timed out' : err.message) : String(err);
  return ApplicationFailure.create({ message: `Harbor ${operation}: ${reason}`, type: HarborFailure.Unavailable, nonRetryable: false });
}
