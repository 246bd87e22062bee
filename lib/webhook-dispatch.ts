import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { harborProjectEventWorkflowId, repositoryWorkflowId } from '../workflows/ids';
import type { ProjectEventInput } from '../workflows/project-events';
import { HARBOR_EVENT_SIGNAL, type RepositoryEvent, type RepositoryWorkflowInput } from '../workflows/repository-events';
import { ModelName, OperationKind, ProjectName } from '../workflows/search-attributes';
import type { HarborEvent } from './harbor-events';

/** Event types the repository workflow applies. */
export const REPOSITORY_TYPES = new Set(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED']);
/** Project-level events: audited and published as telemetry by a workflow of their own. */
export const PROJECT_TYPES = new Set(['QUOTA_EXCEED', 'QUOTA_WARNING', 'REPLICATION']);
/** Everything else stays in the inbox for audit. */
export const DISPATCHED_TYPES = new Set([...REPOSITORY_TYPES, ...PROJECT_TYPES]);

/** Hands a stored delivery to the workflow that applies it. */
export async function dispatchHarborEvent(
  client: Client,
  taskQueue: string,
  target: { registry: string; projectId: string },
  inboxId: string,
  event: HarborEvent,
  details: unknown,
): Promise<void> {
  if (REPOSITORY_TYPES.has(event.type)) return dispatchToRepository(client, taskQueue, target, inboxId, event);
  const input: ProjectEventInput = { registry: target.registry, project: event.namespace!, inboxId, type: event.type, operator: event.operator, occurAt: event.occurAt, details };
  try {
    // One workflow per delivery, its id the inbox row: the sweeper's re-dispatch cannot apply it twice.
    await client.workflow.start('harborProjectEventWorkflow', {
      workflowId: harborProjectEventWorkflowId(inboxId),
      taskQueue,
      args: [input],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: ProjectName, value: event.namespace! },
        { key: OperationKind, value: 'project.webhook' },
      ],
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}

/**
 * Hands a stored delivery to its repository's entity workflow (signal-with-start), once per
 * resource. Used by the receiver and by the sweeper; the workflow ignores an inbox id it has seen.
 */
export async function dispatchToRepository(
  client: Client,
  taskQueue: string,
  target: { registry: string; projectId: string },
  inboxId: string,
  event: HarborEvent,
): Promise<void> {
  const input: RepositoryWorkflowInput = { registry: target.registry, project: event.namespace!, projectId: target.projectId, repository: event.repository! };
  for (const resource of event.resources.length > 0 ? event.resources : [{ digest: null, tag: null }]) {
    await client.workflow.signalWithStart('repositoryWorkflow', {
      workflowId: repositoryWorkflowId(target.registry, event.namespace!, event.repository!),
      taskQueue,
      args: [input],
      signal: HARBOR_EVENT_SIGNAL,
      signalArgs: [{ inboxId, type: event.type, digest: resource.digest, tag: resource.tag, operator: event.operator, occurAt: event.occurAt } satisfies RepositoryEvent],
      typedSearchAttributes: [
        { key: ProjectName, value: event.namespace! },
        { key: ModelName, value: event.repository! },
        { key: OperationKind, value: 'model.webhook' },
      ],
    });
  }
}
