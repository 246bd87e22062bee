import { writeFileSync } from 'node:fs';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { remoteRegistryWorkflowId } from '../../lib/workflow-ids';
import { startStackWithTenant } from '../support/fixtures';
import { jsonRequest } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';
import { workflowBundle } from '../support/workflow-bundle';

const historiesDir = new URL('../histories/', import.meta.url);

/**
 * The remote registry workflows replay against today's code (create: the saga; delete), and
 * `RECORD_HISTORIES=1` records them into test/histories/, which test/workflows/replay.test.ts
 * replays with every other committed history.
 */
describe('remote registry workflow replay', () => {
  let stack: TestStack;
  let tenant: string;
  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
  }, 120_000);
  afterAll(() => stack?.close());

  it('replays a create (Harbor endpoint → ping → row) and a delete recorded just now', async () => {
    const name = uniqueName('replay-remote');
    const workflowId = remoteRegistryWorkflowId(stack.registry, name);
    const created = await stack.app.request('/api/v1/registries', jsonRequest({ name, tenant, type: 'docker-registry', url: stack.harbor.registryUrl }));
    expect(created.status).toBe(201);
    const create = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, create, workflowId)).resolves.toBeUndefined();

    expect((await stack.app.request(`/api/v1/registries/${name}`, { method: 'DELETE' })).status).toBe(200);
    const del = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    expect(del.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name).toBe('registryDeleteWorkflow');
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, del, workflowId)).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES === '1') {
      writeFileSync(new URL('registry-create.json', historiesDir), historyToJSON(create));
      writeFileSync(new URL('registry-delete.json', historiesDir), historyToJSON(del));
    }
  });
});
