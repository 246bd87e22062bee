import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { harborProjectEventWorkflowId, repositoryWorkflowId } from '../../lib/workflow-ids';
import { HARBOR_EVENTS_SIGNAL, type RepositoryEvent, type RepositoryWorkflowInput } from '../../lib/repository-events';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import type { HarborEvent } from '../../lib/harbor-events';
import type { ProjectEventInput } from '../../lib/project-events';

/** Event types the repository workflow applies. */
export const REPOSITORY_TYPES = new Set(['PUSH_ARTIFACT', 'PULL_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED']);
/** Project-level events: audited and published as telemetry by a workflow of their own. */
export const PROJECT_TYPES = new Set(['QUOTA_EXCEED', 'QUOTA_WARNING', 'REPLICATION']);
/** Everything else stays in the inbox for audit. */
export const DISPATCHED_TYPES = new Set([...REPOSITORY_TYPES, ...PROJECT_TYPES]);

/** A stored delivery and where it belongs. */
export interface Delivery {
  target: { registry: string; projectId: string };
  inboxId: string;
  event: HarborEvent;
  details: unknown;
}

/**
 * Hands stored deliveries to the workflows that apply them: one signal-with-start per repository
 * carrying all of its events in arrival order, one workflow per project-level delivery. Used by the
 * receiver's dispatcher and by the sweeper; the repository workflow ignores an inbox id it has seen.
 */
export async function dispatchHarborEvents(client: Client, taskQueue: string, deliveries: Delivery[]): Promise<void> {
  const byRepository = new Map<string, Delivery[]>();
  const projectLevel: Delivery[] = [];
  for (const d of deliveries) {
    if (!REPOSITORY_TYPES.has(d.event.type)) projectLevel.push(d);
    else {
      const id = repositoryWorkflowId(d.target.registry, d.event.namespace!, d.event.repository!);
      byRepository.set(id, [...(byRepository.get(id) ?? []), d]);
    }
  }
  await Promise.all([
    ...[...byRepository.entries()].map(([workflowId, group]) => signalRepository(client, taskQueue, workflowId, group)),
    ...projectLevel.map((d) => startProjectEvent(client, taskQueue, d)),
  ]);
}

async function startProjectEvent(client: Client, taskQueue: string, { target, inboxId, event, details }: Delivery): Promise<void> {
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

/** One signal-with-start of a repository's entity workflow with its events, one per resource of each delivery. */
async function signalRepository(client: Client, taskQueue: string, workflowId: string, group: Delivery[]): Promise<void> {
  const { target, event: first } = group[0]!;
  const input: RepositoryWorkflowInput = { registry: target.registry, project: first.namespace!, projectId: target.projectId, repository: first.repository! };
  const events = group.flatMap(({ inboxId, event }) =>
    (event.resources.length > 0 ? event.resources : [{ digest: null, tag: null }]).map(
      (resource): RepositoryEvent => ({ inboxId, type: event.type, digest: resource.digest, tag: resource.tag, operator: event.operator, occurAt: event.occurAt }),
    ),
  );
  await client.workflow.signalWithStart('repositoryWorkflow', {
    workflowId,
    taskQueue,
    args: [input],
    signal: HARBOR_EVENTS_SIGNAL,
    signalArgs: [events],
    typedSearchAttributes: [
      { key: ProjectName, value: first.namespace! },
      { key: ModelName, value: first.repository! },
      { key: OperationKind, value: 'model.webhook' },
    ],
  });
}
