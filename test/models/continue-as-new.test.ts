import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repositoryWorkflowId } from '../../lib/workflow-ids';
import { HARBOR_EVENTS_SIGNAL, type RepositoryWorkflowInput } from '../../lib/repository-events';
import { eventually } from '../support/eventually';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

/** The repository entity is long-lived: it starts afresh before its history grows long, losing nothing. */
describe('the repository workflow continuing as new', () => {
  let stack: TestStack, project: string, projectId: string;
  beforeAll(async () => { ({ stack, project, projectId } = await startStackWithProject('chatty')); }, 120_000);
  afterAll(() => stack?.close());

  it('carries the events still pending into the next run and applies every event once', async () => {
    const workflowId = repositoryWorkflowId(stack.registry, project, 'busy');
    const input: RepositoryWorkflowInput = { registry: stack.registry, project, projectId, repository: 'busy', continueAsNewAfter: 40 };
    const digest = `sha256:${'ab'.repeat(32)}`;
    const events = Array.from({ length: 40 }, (_, i) => ({ inboxId: randomUUID(), type: 'PULL_ARTIFACT', digest, tag: `1.0.${i}`, operator: 'alice', occurAt: 1_800_000_000 + i }));
    let firstRunId: string | undefined;
    // One signal per event, as deliveries trickle in: some arrive while a run is continuing as new.
    for (const event of events) {
      const handle = await stack.client.workflow.signalWithStart('repositoryWorkflow', { workflowId, taskQueue: stack.taskQueue, args: [input], signal: HARBOR_EVENTS_SIGNAL, signalArgs: [[event]] });
      firstRunId ??= handle.signaledRunId;
    }
    const pulls = () => stack.database.sql<{ tag: string }[]>`select details->>'tag' as tag from modelregistry.audit_events where resource = ${`models/${stack.registry}/${project}/busy`} and action = 'model.pulled'`;
    await eventually('every pull audited', async () => (await pulls()).length >= events.length);
    expect((await pulls()).map((p) => p.tag).sort()).toEqual(events.map((e) => e.tag).sort());
    expect((await stack.client.workflow.getHandle(workflowId, firstRunId).describe()).status.name).toBe('CONTINUED_AS_NEW');
    const current = await stack.client.workflow.getHandle(workflowId).describe();
    expect(current.runId).not.toBe(firstRunId);
  });
});
