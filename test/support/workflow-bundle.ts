import type { WorkflowBundlePath } from '@temporalio/worker';
import { inject } from 'vitest';

/** The workflow code test/global-setup.ts bundled once for the run, for every worker and replay. */
export const workflowBundle = (): WorkflowBundlePath => ({ codePath: inject('workflowBundlePath') });
