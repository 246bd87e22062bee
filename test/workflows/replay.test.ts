import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { historyFromJSON, historyToJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually';
import { projectWorkflowId, refreshWorkflowId, repositoryWorkflowId, tenantWorkflowId } from '../../lib/workflow-ids';
import { pushModel } from '../harbor/oci-push';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { jsonRequest } from '../support/http';
import { workflowBundle } from '../support/workflow-bundle';

const historiesDir = new URL('../histories/', import.meta.url);

/**
 * Replays recorded histories against today's workflow code: a change that would break
 * running workflows (non-determinism) fails here. `RECORD_HISTORIES=1` re-records them; the
 * approval, promotion (a copy, a wait for an approval) and sync histories are recorded by
 * test/promotion and test/sync, which set up what they need (`replayAndRecord`).
 */
describe('workflow replay', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ receiveWebhooks: true });
  });
  afterAll(() => stack.close());

  it('replays the committed histories', async () => {
    const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    const histories = files.map((f) => ({ workflowId: f, history: historyFromJSON(JSON.parse(readFileSync(new URL(f, historiesDir), 'utf8'))) }));
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) {
      expect(result.error, result.workflowId).toBeUndefined();
    }
  });

  it('replays a tenant upsert run recorded just now', async () => {
    const name = uniqueName('replay');
    const res = await stack.app.request('/api/v1/tenants', jsonRequest({ name, companyName: 'Replay', url: 'https://replay.example' }));
    expect(res.status).toBe(201);
    const history = await stack.client.workflow.getHandle(tenantWorkflowId(name)).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, tenantWorkflowId(name))).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES === '1') {
      writeFileSync(new URL('tenant-upsert.json', historiesDir), historyToJSON(history));
    }
  });

  it('replays a project onboarding run (the saga) recorded just now', async () => {
    const tenant = await createTenant(stack, { name: uniqueName('replay-tenant') });
    const name = uniqueName('replay-project');
    const res = await stack.app.request(
      '/api/v1/projects',
      jsonRequest({ name, display_name: 'Replay', tenantId: tenant, members: [{ group: 'replay-devs', role: 'developer' }], robot: true }),
    );
    expect(res.status).toBe(201);
    const workflowId = projectWorkflowId(stack.registry, name);
    const history = await stack.client.workflow.getHandle(workflowId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, workflowId)).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES === '1') {
      writeFileSync(new URL('project-onboarding.json', historiesDir), historyToJSON(history));
    }
  });

  it('replays a refresh and a repository entity run (webhook-fed) recorded just now', async () => {
    const tenant = await createTenant(stack, { name: uniqueName('replay-tenant') });
    const project = uniqueName('replay-models');
    await onboardProject(stack, tenant, { name: project, display_name: 'R' });
    await pushModel(stack.harbor.emulator.url, `${project}/m`, '1.0.0');
    expect((await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' })).status).toBe(200);
    const refreshId = refreshWorkflowId(stack.registry, project);
    const refresh = await stack.client.workflow.getHandle(refreshId).fetchHistory();
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, refresh, refreshId)).resolves.toBeUndefined();

    const repositoryId = repositoryWorkflowId(stack.registry, project, 'm');
    // Up to its batch's events, published by a local activity (a marker, not an activity task).
    const entity = await eventually('the repository entity\'s published batch', async () => {
      const history = await stack.client.workflow.getHandle(repositoryId).fetchHistory();
      return history.events?.some((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity') && history;
    }, { timeoutMs: 10_000 });
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, entity, repositoryId)).resolves.toBeUndefined();
    if (process.env.RECORD_HISTORIES === '1') {
      writeFileSync(new URL('refresh.json', historiesDir), historyToJSON(refresh));
      // repository.json stays as recorded before the local publish: it replays the unpatched path.
      writeFileSync(new URL('repository-local-publish.json', historiesDir), historyToJSON(entity));
    }
  });

  it('fails a replay whose history does not match the code', async () => {
    const json = JSON.parse(readFileSync(new URL('tenant-upsert.json', historiesDir), 'utf8'));
    // Same history, but the workflow scheduled a different activity first: the code cannot match it.
    const scheduled = json.events.find((e: { activityTaskScheduledEventAttributes?: unknown }) => e.activityTaskScheduledEventAttributes);
    scheduled.activityTaskScheduledEventAttributes.activityType.name = 'upsertTenant';
    const history = historyFromJSON(json);
    await expect(Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, 'mismatch')).rejects.toThrow();
  });
});
