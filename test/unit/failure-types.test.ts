import { ActivityFailure, RetryState, type ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { harborFailure, isConflict, isNotFound } from '../../activities/harbor/errors';
import { failureToProblem } from '../../api/operations';
import { applicationFailureIn, conflict, failedPrecondition, FailureType, grpcCodeOf, httpStatusOf, isCallerFailure, notConfigured, notFound, operationFailed, translateFailure, validationFailed } from '../../lib/failure-types';
import { Saga } from '../../workflows/saga';

/** A failure as a workflow sees an activity's: wrapped in an ActivityFailure. */
const fromActivity = (cause: ApplicationFailure) => new ActivityFailure('activity failed', 'someActivity', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);

describe('the failure vocabulary', () => {
  it('gives each business failure its HTTP status and gRPC code from one table', () => {
    expect([httpStatusOf('ValidationFailed'), httpStatusOf('NotFound'), httpStatusOf('Conflict'), httpStatusOf('FailedPrecondition'), httpStatusOf('OperationFailed'), httpStatusOf('NotConfigured')]).toEqual([400, 404, 409, 409, 502, 503]);
    // The same 409 over REST; over gRPC "it exists" apart from "its state refuses the request".
    expect([grpcCodeOf('ValidationFailed'), grpcCodeOf('NotFound'), grpcCodeOf('Conflict'), grpcCodeOf('FailedPrecondition'), grpcCodeOf('OperationFailed'), grpcCodeOf('NotConfigured')]).toEqual(['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'FAILED_PRECONDITION', 'UNAVAILABLE', 'UNAVAILABLE']);
    // Our own systems' failures are no answer of their own: a plain 500.
    expect(httpStatusOf(FailureType.DataRejected)).toBeUndefined();
    expect(grpcCodeOf(FailureType.DatabaseUnavailable)).toBe('UNAVAILABLE');
    for (const unknown of [undefined, null, '', 'toString', 'SomethingElse']) expect(httpStatusOf(unknown)).toBeUndefined();
  });

  it('names the caller failures a saga passes through', () => {
    expect(['ValidationFailed', 'NotFound', 'Conflict', 'FailedPrecondition'].every(isCallerFailure)).toBe(true);
    expect(['OperationFailed', 'NotConfigured', 'DataRejected', 'constructor', undefined].some(isCallerFailure)).toBe(false);
  });

  it('creates non-retryable failures whose details become the problem members', () => {
    const cases = [
      [validationFailed('bad'), 'ValidationFailed'],
      [notFound('gone'), 'NotFound'],
      [conflict('twice'), 'Conflict'],
      [failedPrecondition('in use'), 'FailedPrecondition'],
      [operationFailed('broke'), 'OperationFailed'],
      [notConfigured('absent'), 'NotConfigured'],
    ] as const;
    for (const [failure, type] of cases) expect([failure.type, failure.nonRetryable]).toEqual([type, true]);
    expect(notFound('gone').details).toBeUndefined();
    const problem = failureToProblem(fromActivity(notFound('no tenant "t"', { tenant: 't' })));
    expect(problem).toMatchObject({ status: 404, type: 'https://model-registry.dev/problems/not-found', title: 'Not found', detail: 'no tenant "t"', tenant: 't' });
  });

  it('finds the ApplicationFailure under the wrappers, and translates one type into another', async () => {
    const cause = conflict('taken');
    expect(applicationFailureIn(fromActivity(cause))).toBe(cause);
    expect(applicationFailureIn(new Error('plain'))).toBeUndefined();
    await expect(translateFailure(Promise.reject(fromActivity(conflict('taken'))), FailureType.Conflict, () => notFound('mapped'))).rejects.toMatchObject({ type: 'NotFound', message: 'mapped' });
    const other = fromActivity(operationFailed('broke'));
    await expect(translateFailure(Promise.reject(other), FailureType.Conflict, () => notFound('mapped'))).rejects.toBe(other);
    await expect(translateFailure(Promise.resolve(7), FailureType.Conflict, () => notFound('mapped'))).resolves.toBe(7);
  });
});

describe("Harbor's answers are not the caller's", () => {
  const harborAnswer = (status: number) => harborFailure('get project', new Response(null, { status, statusText: 'Nope' }), { errors: [{ message: 'project not found' }] });

  it('types each Harbor status as its own failure, answered as an upstream 502', () => {
    const types = [400, 422, 404, 409, 401, 403, 405, 500, 429].map((s) => harborAnswer(s).type);
    expect(types).toEqual(['HarborBadRequest', 'HarborBadRequest', 'HarborNotFound', 'HarborConflict', 'HarborForbidden', 'HarborForbidden', 'HarborRejected', 'HarborUnavailable', 'HarborUnavailable']);
    for (const type of types) expect([httpStatusOf(type), grpcCodeOf(type), isCallerFailure(type)]).toEqual([502, 'UNAVAILABLE', false]);
    const problem = failureToProblem(fromActivity(harborAnswer(404)));
    expect(problem).toMatchObject({ status: 502, title: 'Harbor not found', harborStatus: 404, operation: 'get project' });
    expect(isNotFound(fromActivity(harborAnswer(404)))).toBe(true);
    expect(isConflict(harborAnswer(409))).toBe(true);
    expect(isNotFound(notFound('the caller\'s'))).toBe(false);
  });

  it('a Harbor 404 in the middle of a saga fails the operation (502), it is not the caller\'s 404', async () => {
    const saga = new Saga();
    const err = await saga
      .step('create-webhook-policy', () => Promise.reject(fromActivity(harborAnswer(404))))
      .catch((e: unknown) => saga.fail(e))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ type: 'OperationFailed', nonRetryable: true });
    expect(failureToProblem(err)).toMatchObject({ status: 502, failedStep: 'create-webhook-policy', detail: expect.stringContaining('404 project not found') });
    // The caller's own NotFound still passes through a saga as it is.
    const own = new Saga();
    const passed = await own.fail(fromActivity(notFound('tenant "t" does not exist'))).catch((e: unknown) => e);
    expect(failureToProblem(passed)).toMatchObject({ status: 404, failedStep: 'start' });
  });
});
