import { createHash } from 'node:crypto';
import { ApplicationFailure, type SearchAttributePair, type Workflow, type WorkflowResultType } from '@temporalio/common';
import {
  type Client,
  isGrpcCancelledError,
  isGrpcDeadlineError,
  type WorkflowExecutionDescription,
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { FailureType, httpStatusOf } from '../lib/failure-types';
import { UUID_PATTERN } from '../lib/uuid';
import { isSingleLine } from '../lib/text';
import { idempotencyKeyReused, problemBody, ProblemError, type Problem } from './problem';
import { unavailableProblem } from './unavailable';

/** What a route needs to run a mutation as a workflow. */
export interface MutationDeps {
  client: Client;
  taskQueue: string;
  mutationWaitMs: number;
}

/** One mutation: its workflow's business-key id and the workflow's own arguments. */
export interface MutationSpec<W extends Workflow> {
  workflowId: string;
  args: Parameters<W>;
  idempotencyKey?: string;
  searchAttributes?: SearchAttributePair[];
}

export type OperationStatus = 'running' | 'completed' | 'failed' | 'canceled' | 'terminated' | 'timed_out';

export interface OperationView {
  id: string;
  kind: string;
  status: OperationStatus;
  startedAt: string | null;
  closedAt: string | null;
  result?: unknown;
  problem?: Problem;
  /** How far a running operation is, for workflows that answer a `progress` query. */
  progress?: unknown;
}

export type MutationOutcome<R> =
  | { state: 'completed'; operationId: string; result: R }
  | { state: 'failed'; operationId: string; problem: Problem }
  | { state: 'running'; operationId: string; operation: OperationView }
  | { state: 'busy'; operationId: string; problem: Problem };

/** Operation ids pin one run of a business-key workflow id, opaque and URL-safe. */
export function encodeOperationId(workflowId: string, runId: string): string {
  return Buffer.from(`${workflowId}\n${runId}`, 'utf8').toString('base64url');
}

export function decodeOperationId(id: string): { workflowId: string; runId: string } | null {
  if (!/^[A-Za-z0-9_-]{1,2048}$/.test(id)) return null;
  const [workflowId, runId, ...rest] = Buffer.from(id, 'base64url').toString('utf8').split('\n');
  // Temporal's run ids are UUIDs: it refuses any other (INVALID_ARGUMENT, which was a 500 here).
  if (!workflowId || !runId || rest.length > 0 || !UUID_PATTERN.test(runId) || !isSingleLine(workflowId)) return null;
  return { workflowId, runId };
}

export const operationLocation = (operationId: string) => `/api/v1/operations/${operationId}`;

/**
 * A failure type's problem type and title, named as the API's own problems are (RFC 9457: one type
 * per kind of problem, a title for people): `NotFound` is `not-found`, "Not found", as a route's
 * own 404; `ValidationFailed` is a route's `validation`.
 */
export function failureProblemType(type: string): { slug: string; title: string } {
  if (type === FailureType.ValidationFailed) return { slug: 'validation', title: 'Request validation failed' };
  const words = type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return { slug: words.replaceAll(' ', '-'), title: words.charAt(0).toUpperCase() + words.slice(1) };
}

export function failureToProblem(err: unknown): Problem {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  let failure: unknown = cause;
  // An activity's ApplicationFailure arrives wrapped in an ActivityFailure.
  while (failure && !(failure instanceof ApplicationFailure) && failure instanceof Error && failure.cause) {
    failure = failure.cause;
  }
  // The HTTP status of a failure type comes from the one table of them (lib/failure-types).
  const status = failure instanceof ApplicationFailure ? httpStatusOf(failure.type) : undefined;
  if (failure instanceof ApplicationFailure && failure.type && status) {
    const { slug, title } = failureProblemType(failure.type);
    return problemBody(status, slug, title, failure.message, {
      ...(failure.details?.[0] && typeof failure.details[0] === 'object' ? (failure.details[0] as object) : {}),
    });
  }
  const message = failure instanceof Error ? failure.message : 'the operation failed';
  return problemBody(500, 'internal', 'Internal error', message);
}

const STATUS_NAMES: Partial<Record<string, OperationStatus>> = {
  RUNNING: 'running',
  COMPLETED: 'completed',
  FAILED: 'failed',
  CANCELLED: 'canceled',
  TERMINATED: 'terminated',
  TIMED_OUT: 'timed_out',
  // A continued-as-new run is done; its successor carries the work on.
  CONTINUED_AS_NEW: 'completed',
};

/**
 * Sealed secrets in a result are for the one-time reveal in the mutation's own response; the
 * operation resource can be read many times, so it leaves them out.
 */
function withoutSealedSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutSealedSecrets);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'sealedSecret').map(([k, v]) => [k, withoutSealedSecrets(v)]));
  }
  return value;
}

/** How long a progress query may wait for a worker: without one the answer leaves the progress out rather than wait. */
export const PROGRESS_QUERY_MS = 2_000;

/** Workflow types that answer a `progress` query: a running operation of theirs shows how far it is. */
const REPORTS_PROGRESS = new Set(['virtualRegistryWarmWorkflow', 'virtualRegistryCachePurgeWorkflow', 'cleanupRunWorkflow', 'storageReclaimWorkflow', 'replicationExecutionWorkflow', 'modelPromotionWorkflow']);

/** The operation resource for one workflow run, with its result or problem once closed, its progress while running. */
export async function readOperation(client: Client, workflowId: string, runId: string): Promise<OperationView | null> {
  const handle = client.workflow.getHandle(workflowId, runId);
  let description: WorkflowExecutionDescription;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  const status = STATUS_NAMES[description.status.name] ?? 'running';
  const view: OperationView = {
    id: encodeOperationId(workflowId, description.runId),
    kind: description.type,
    status,
    startedAt: description.startTime.toISOString(),
    closedAt: description.closeTime?.toISOString() ?? null,
  };
  // A query needs a worker: with none (or a slow one), the operation still answers, without its progress.
  if (status === 'running' && REPORTS_PROGRESS.has(description.type)) {
    view.progress = await client.withDeadline(Date.now() + PROGRESS_QUERY_MS, () => handle.query('progress')).catch(() => undefined);
  }
  if (status === 'completed') view.result = withoutSealedSecrets(await handle.result());
  if (status === 'failed' || status === 'timed_out' || status === 'terminated' || status === 'canceled') {
    view.problem = await handle.result().then(
      () => problemBody(500, 'internal', 'Internal error'),
      (err: unknown) => failureToProblem(err),
    );
  }
  return view;
}

/** Which request started a run: its kind as well as its input, so a different mutation never joins it. */
const requestHashOf = (workflowType: string, args: unknown[]) => createHash('sha256').update(JSON.stringify([workflowType, args])).digest('base64url');

async function latestRun(client: Client, workflowId: string): Promise<WorkflowExecutionDescription | null> {
  try {
    return await client.workflow.getHandle(workflowId).describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}

/**
 * Starts (or joins) the workflow for a mutation and waits a bounded time for it; the workflow type
 * is the function's name, its arguments and result typed by it.
 * - A run of the same workflow type that carries the same Idempotency-Key is joined, running or finished,
 *   when it was started for the same request; for another, the key is refused (422).
 * - A running run for the same business key is joined when it was started for the same
 *   request, and refused as busy otherwise, so a different concurrent change is never lost.
 */
export async function runMutation<W extends Workflow>(deps: MutationDeps, workflowFn: W, spec: MutationSpec<W>): Promise<MutationOutcome<WorkflowResultType<W>>> {
  const workflowType = workflowFn.name;
  const requestHash = requestHashOf(workflowType, spec.args);
  let runId: string | undefined;
  for (let attempt = 0; attempt < 3 && !runId; attempt++) {
    const latest = await latestRun(deps.client, spec.workflowId);
    if (latest) {
      const memo = latest.memo ?? {};
      // The key joins a run of the same kind only: a PUT reusing a POST's key must not answer with the POST's result.
      const sameKey = spec.idempotencyKey !== undefined && memo.idempotencyKey === spec.idempotencyKey && latest.type === workflowType;
      // The caller's key (api/auth/context.ts) with another request is the client's mistake, not a retry.
      if (sameKey && memo.requestHash !== requestHash) throw new ProblemError(idempotencyKeyReused());
      if (sameKey || (latest.status.name === 'RUNNING' && memo.requestHash === requestHash)) {
        runId = latest.runId;
        break;
      }
      if (latest.status.name === 'RUNNING') {
        const operationId = encodeOperationId(spec.workflowId, latest.runId);
        return {
          state: 'busy',
          operationId,
          problem: problemBody(409, 'operation-in-progress', 'Another operation on this resource is in progress', 'retry once it has finished', {
            operation: operationLocation(operationId),
          }),
        };
      }
    }
    try {
      // Started as any workflow (TypeScript cannot resolve the options' `args` for a generic W): the spec checked them.
      const workflow: Workflow = workflowFn;
      const handle = await deps.client.workflow.start(workflow, {
        workflowId: spec.workflowId,
        taskQueue: deps.taskQueue,
        args: spec.args,
        memo: { requestHash, ...(spec.idempotencyKey ? { idempotencyKey: spec.idempotencyKey } : {}) },
        workflowIdConflictPolicy: 'FAIL',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: spec.searchAttributes ?? [],
      });
      runId = handle.firstExecutionRunId;
    } catch (err) {
      // Another request started it between our look and our start: look again.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
  if (!runId) throw new Error(`could not start or join workflow ${spec.workflowId}`);

  const operationId = encodeOperationId(spec.workflowId, runId);
  const handle = deps.client.workflow.getHandle<W>(spec.workflowId, runId, { followRuns: false });
  const deadline = Date.now() + deps.mutationWaitMs;
  try {
    // The deadline bounds every call of the long poll: past it the poll fails with DEADLINE_EXCEEDED,
    // or CANCELLED when the server's side of the call ended first.
    const result = await deps.client.withDeadline(deadline, () => handle.result());
    return { state: 'completed', operationId, result };
  } catch (err) {
    if (isGrpcDeadlineError(err) || (isGrpcCancelledError(err) && Date.now() >= deadline)) {
      const operation = await readOperation(deps.client, spec.workflowId, runId);
      if (!operation) throw new Error(`workflow ${spec.workflowId} vanished`);
      return { state: 'running', operationId, operation };
    }
    // Temporal unreachable is no failure of the operation: the request answers 503 (api/unavailable.ts).
    if (unavailableProblem(err)) throw err;
    return { state: 'failed', operationId, problem: failureToProblem(err) };
  }
}
