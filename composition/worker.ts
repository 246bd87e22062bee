import { fileURLToPath } from 'node:url';
import { type ActivityInterceptorsFactory, type NativeConnection, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities';
import { toActivityFailure } from '../lib/failures';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export interface WorkerOptions {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  deps: ActivityDeps;
  /** Workflow code bundled beforehand (the tests bundle once per run); else bundled from `workflowsPath`. */
  workflowBundle?: WorkflowBundleOption;
}

/** The one worker shape used by worker.ts, the local stack and the workflow tests. */
export function createWorker({ connection, namespace, taskQueue, deps, workflowBundle }: WorkerOptions): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    activities: createActivities(deps),
    interceptors: { activity: activityInterceptors },
  });
}

/**
 * The one seam every activity passes: errors of PostgreSQL, Keycloak and Kafka become failures
 * that say whether a retry can help, before Temporal records or logs them.
 */
export const activityInterceptors: ActivityInterceptorsFactory[] = [() => ({ inbound: { execute: (input, next) => next(input).catch((err: unknown) => Promise.reject(toActivityFailure(err))) } })];
