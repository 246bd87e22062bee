import { ApplicationFailure, log } from '@temporalio/workflow';
import { failure, FailureType, isCallerFailure } from '../lib/failure-types';

/**
 * A list of compensations, run in reverse order of registration when a later step fails for good.
 * Each step registers its compensation *before* it runs: a step that timed out may still have
 * happened, and every compensation tolerates what is already gone. A step whose failure proves it
 * did nothing (`didNothing`, e.g. a conflict with someone else's resource of that name) drops its
 * compensation, so the saga never undoes what another party made.
 */
export class Saga {
  private readonly compensations: { step: string; undo: () => Promise<unknown> }[] = [];
  private current = 'start';

  async step<T>(name: string, run: () => Promise<T>, undo?: () => Promise<unknown>, opts: { didNothing?: (err: unknown) => boolean } = {}): Promise<T> {
    this.current = name;
    const compensation = undo && { step: name, undo };
    if (compensation) this.compensations.unshift(compensation);
    try {
      return await run();
    } catch (err) {
      if (compensation && opts.didNothing?.(err)) this.compensations.splice(this.compensations.indexOf(compensation), 1);
      throw err;
    }
  }

  /** Compensates and rethrows as a failure naming the step that failed. */
  async fail(err: unknown): Promise<never> {
    const undone: string[] = [];
    const notUndone: string[] = [];
    for (const { step, undo } of this.compensations) {
      try {
        await undo();
        undone.push(step);
      } catch (compensationError) {
        // Left visible in the failure, never silently: an operator sees what to clean up.
        notUndone.push(step);
        log.error('compensation failed', { step, error: String(compensationError) });
      }
    }
    const cause = err instanceof ApplicationFailure ? err : (err as { cause?: unknown }).cause;
    // A failure of the request (the tenant vanished meanwhile) stays the caller's; any other is the operation's.
    const type = cause instanceof ApplicationFailure && isCallerFailure(cause.type) ? (cause.type as FailureType) : FailureType.OperationFailed;
    const message = cause instanceof Error ? cause.message : err instanceof Error ? err.message : String(err);
    throw failure(type, `failed at step "${this.current}": ${message}`, { failedStep: this.current, compensated: undone, notCompensated: notUndone });
  }
}
