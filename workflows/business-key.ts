import { WorkflowExecutionAlreadyStartedError, type SearchAttributePair, type Workflow, type WorkflowResultType } from '@temporalio/common';
import { executeChild, ParentClosePolicy } from '@temporalio/workflow';

/** What a Schedule's run answers when the work was running already under its key. */
export interface AlreadyRunning {
  alreadyRunning: string;
}

/**
 * A Schedule's run of a workflow under the workflow's business key, the id the API starts it with.
 * Temporal gives each run of a Schedule an id of its own (its time appended), so started directly it
 * would run beside one the API (or an earlier run) has going: then this run has nothing to do and
 * says so. The child outlives this run: a terminated Schedule run does not cut its work short.
 */
export async function runUnderBusinessKey<W extends Workflow>(workflow: W, workflowId: string, args: Parameters<W>, typedSearchAttributes: SearchAttributePair[] = []): Promise<WorkflowResultType<W> | AlreadyRunning> {
  try {
    // Started as any workflow (TypeScript cannot resolve the options' `args` for a generic W): the signature checked them.
    const any: Workflow = workflow;
    return (await executeChild(any, { workflowId, args, typedSearchAttributes, parentClosePolicy: ParentClosePolicy.ABANDON })) as WorkflowResultType<W>;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { alreadyRunning: workflowId };
    throw err;
  }
}
