import { ApplicationFailure } from '@temporalio/common';

/** gRPC status codes by name (grpc/grpc doc/statuscodes.md). */
export type GrpcCode = 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'ALREADY_EXISTS' | 'FAILED_PRECONDITION' | 'UNAVAILABLE' | 'INTERNAL';

interface FailureKind {
  /** The HTTP status of the API's problem; absent: answered as a plain 500 "operation failed". */
  http?: number;
  grpc: GrpcCode;
  /** Describes the request, not the run: a saga hands it to the caller as it is. */
  caller?: true;
}

/**
 * Every failure type a workflow or activity throws, with what the API answers for it. Harbor's
 * answers have their own types: a Harbor 404 is Harbor's, not "your resource does not exist"; a
 * workflow that means the caller's resource translates it (`translateFailure`).
 */
const FAILURES = {
  // The caller's: the request was wrong, or names what is not there or clashes with what is.
  ValidationFailed: { http: 400, grpc: 'INVALID_ARGUMENT', caller: true },
  NotFound: { http: 404, grpc: 'NOT_FOUND', caller: true },
  // What the request would create exists already.
  Conflict: { http: 409, grpc: 'ALREADY_EXISTS', caller: true },
  // The state of what is there refuses the request (in use, already running, disabled, gone from
  // Harbor): the same 409 over REST, but not "it exists" over gRPC.
  FailedPrecondition: { http: 409, grpc: 'FAILED_PRECONDITION', caller: true },
  // A step against Harbor, Keycloak or Kafka failed for good (after Temporal's retries); undone.
  OperationFailed: { http: 502, grpc: 'UNAVAILABLE' },
  // A system the operation needs is not configured where the worker runs (e.g. Keycloak): as a
  // route's own `not-configured`, 503 and UNAVAILABLE.
  NotConfigured: { http: 503, grpc: 'UNAVAILABLE' },
  // Harbor answered (activities/harbor/errors.ts): upstream problems, whatever the status.
  HarborBadRequest: { http: 502, grpc: 'UNAVAILABLE' },
  HarborNotFound: { http: 502, grpc: 'UNAVAILABLE' },
  HarborConflict: { http: 502, grpc: 'UNAVAILABLE' },
  HarborForbidden: { http: 502, grpc: 'UNAVAILABLE' },
  HarborRejected: { http: 502, grpc: 'UNAVAILABLE' },
  HarborUnavailable: { http: 502, grpc: 'UNAVAILABLE' },
  // A virtual registry's upstreams failed a warm (an error status, unreachable): retried, a 502 once retries run out.
  UpstreamUnavailable: { http: 502, grpc: 'UNAVAILABLE' },
  // Our own systems (lib/failures.ts): `…Rejected` cannot succeed on a retry, `…Unavailable` can.
  DataRejected: { grpc: 'INTERNAL' },
  DatabaseUnavailable: { grpc: 'UNAVAILABLE' },
  DatabaseError: { grpc: 'INTERNAL' },
  KeycloakRejected: { grpc: 'INTERNAL' },
  KeycloakUnavailable: { grpc: 'UNAVAILABLE' },
  KafkaRejected: { grpc: 'INTERNAL' },
  KafkaUnavailable: { grpc: 'UNAVAILABLE' },
} as const satisfies Record<string, FailureKind>;

export type FailureType = keyof typeof FAILURES;

/** The failure types by name, for code that compares or creates one: `FailureType.HarborNotFound`. */
export const FailureType = Object.fromEntries(Object.keys(FAILURES).map((t) => [t, t])) as { readonly [T in FailureType]: T };

const kindOf = (type: string | undefined | null): FailureKind | undefined => (type && Object.hasOwn(FAILURES, type) ? FAILURES[type as FailureType] : undefined);

/** The HTTP status the API answers for a failure type, when it answers one of its own. */
export const httpStatusOf = (type: string | undefined | null): number | undefined => kindOf(type)?.http;

export const grpcCodeOf = (type: string | undefined | null): GrpcCode | undefined => kindOf(type)?.grpc;

/** Whether a failure type describes the request (a saga passes it through) rather than the run. */
export const isCallerFailure = (type: string | undefined | null): boolean => kindOf(type)?.caller === true;

/** The ApplicationFailure in an error or its causes (an activity's arrives wrapped in an ActivityFailure). */
export function applicationFailureIn(err: unknown): ApplicationFailure | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof ApplicationFailure) return e;
  }
  return undefined;
}

/** Whether an error is, or was caused by, a failure of this type. */
export const isFailure = (err: unknown, type: FailureType): boolean => applicationFailureIn(err)?.type === type;

/** A failure no retry can fix; `details` become the API problem's extension members. */
export const failure = (type: FailureType, message: string, details?: Record<string, unknown>): ApplicationFailure =>
  ApplicationFailure.create({ type, message, nonRetryable: true, details: details ? [details] : undefined });

export const validationFailed = (message: string, details?: Record<string, unknown>) => failure(FailureType.ValidationFailed, message, details);
export const notFound = (message: string, details?: Record<string, unknown>) => failure(FailureType.NotFound, message, details);
export const conflict = (message: string, details?: Record<string, unknown>) => failure(FailureType.Conflict, message, details);
export const failedPrecondition = (message: string, details?: Record<string, unknown>) => failure(FailureType.FailedPrecondition, message, details);
export const operationFailed = (message: string, details?: Record<string, unknown>) => failure(FailureType.OperationFailed, message, details);
export const notConfigured = (message: string, details?: Record<string, unknown>) => failure(FailureType.NotConfigured, message, details);

/**
 * Runs `run`, turning a failure of type `from` into `to()`: for a step whose failure means
 * something to the caller, e.g. Harbor's 404 of the repository the caller named.
 */
export async function translateFailure<T>(run: Promise<T>, from: FailureType, to: () => ApplicationFailure): Promise<T> {
  try {
    return await run;
  } catch (err) {
    throw isFailure(err, from) ? to() : err;
  }
}
