import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { activityInterceptors } from '../../composition/worker';
import type { TestStack } from './stack';
import { workflowBundle } from './workflow-bundle';

/** A worker on the stack's task queue (a stack started with `worker: false`) whose activities a test has wrapped. */
export async function startStandInWorker(stack: TestStack, activities: object): Promise<{ close(): Promise<void> }> {
  const connection = await NativeConnection.connect({ address: inject('temporalAddress') });
  const worker = await Worker.create({ connection, namespace: 'default', taskQueue: stack.taskQueue, workflowBundle: workflowBundle(), activities, interceptors: { activity: activityInterceptors } });
  const running = worker.run();
  return {
    async close() {
      worker.shutdown();
      await running;
      await connection.close();
    },
  };
}
