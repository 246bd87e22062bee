import { ActivityFailure, RetryState, type ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { failureToProblem } from '../../api/operations';
import { applicationFailureIn, conflict, FailureType, grpcCodeOf, httpStatusOf, isCallerFailure, notConfigured, notFound, operationFailed, translateFailure, validationFailed } from '../../lib/failure-types';

/** A failure as a workflow sees an activity's: wrapped in an ActivityFailure. */
const fromActivity = (cause: ApplicationFailure) => new ActivityFailure('activity failed', 'someActivity', '1', RetryState.NON_RETRYABLE_FAILURE, undefined, cause);

describe('the failure vocabulary', () => {
  it('gives each business failure its HTTP status and gRPC code from one table', () => {
    expect([httpStatusOf('ValidationFailed'), httpStatusOf('NotFound'), httpStatusOf('Conflict'), httpStatusOf('OperationFailed'), httpStatusOf('NotConfigured')]).toEqual([400, 404, 409, 502, 503]);
    expect([grpcCodeOf('ValidationFailed'), grpcCodeOf('NotFound'), grpcCodeOf('Conflict'), grpcCodeOf('OperationFailed'), grpcCodeOf('NotConfigured')]).toEqual(['INVALID_ARGUMENT', 'NOT_FOUND', 'ALREADY_EXISTS', 'UNAVAILABLE', 'UNIMPLEMENTED']);
    // Our own systems' failures are no answer of their own: a plain 500.
    expect(httpStatusOf(FailureType.DataRejected)).toBeUndefined();
    expect(grpcCodeOf(FailureType.DatabaseUnavailable)).toBe('UNAVAILABLE');
    for (const unknown of [undefined, null, '', 'toString', 'SomethingElse']) expect(httpStatusOf(unknown)).toBeUndefined();
  });

  it('names the caller failures a saga passes through', () => {
    expect(['ValidationFailed', 'NotFound', 'Conflict'].every(isCallerFailure)).toBe(true);
    expect(['OperationFailed', 'NotConfigured', 'DataRejected', 'constructor', undefined].some(isCallerFailure)).toBe(false);
  });

  it('creates non-retryable failures whose details become the problem members', () => {
    const cases = [
      [validationFailed('bad'), 'ValidationFailed'],
      [notFound('gone'), 'NotFound'],
      [conflict('twice'), 'Conflict'],
      [operationFailed('broke'), 'OperationFailed'],
      [notConfigured('absent'), 'NotConfigured'],
    ] as const;
    for (const [failure, type] of cases) expect([failure.type, failure.nonRetryable]).toEqual([type, true]);
    expect(notFound('gone').details).toBeUndefined();
    const problem = failureToProblem(fromActivity(notFound('no tenant "t"', { tenant: 't' })));
    expect(problem).toMatchObject({ status: 404, type: expect.stringContaining('notfound'), title: 'NotFound', detail: 'no tenant "t"', tenant: 't' });
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
