import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { jsonRequest, readJson } from '../support/http';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';
import { catalogued, getRun, harborVersions, liveVersions, pushVersions, putPolicy, runReaches, startRun, versionsOf } from './support';

/**
 * worker.ts killed (SIGKILL) while a cleanup run's Harbor delete is held: another worker takes the
 * run over, the retried delete meets a 404 (already gone) and the run ends once, with every
 * candidate removed, one event per version and a summary that says so.
 */
describe('a worker killed in the middle of a cleanup run', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  }, 120_000);
  afterAll(() => stack?.close());

  it('finishes with no double delete and a correct summary', async () => {
    const worker = await spawnWorker(stack.workerEnv);
    const tenant = await createTenant(stack);
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('crash') });
    await pushVersions(stack, project, 'llama', ['1.0.0', '1.1.0', '1.2.0', '1.3.0']);
    await catalogued(stack, project, ['llama:1.3.0']);
    expect((await putPolicy(stack, project, { mode: 'automatic', rules: [{ kind: 'keep_newest', count: 1, per: 'model' }] })).status).toBe(200);

    // The first delete takes effect in Harbor, but its answer is held until the worker is dead.
    stack.harbor.emulator.faults.delayResponse('deleteArtifact', 8_000);
    const run = await startRun(stack, project, { dryRun: false });
    await eventually('Harbor deleting the first candidate', async () => (await harborVersions(stack, project)).length === 3, { timeoutMs: 30_000, intervalMs: 50 });
    worker.kill();
    await stack.startWorker();

    const done = await runReaches(stack, project, run.id, 'succeeded', 'failed');
    expect(done.status, JSON.stringify(done.summary)).toBe('succeeded');
    expect(done).toMatchObject({ total: 3, done: 3, summary: { failures: [] } });
    expect(versionsOf(done.summary.removed)).toEqual(['llama:1.0.0', 'llama:1.1.0', 'llama:1.2.0']);
    expect(done.summary.removed.filter((r: { alreadyGone?: boolean }) => r.alreadyGone)).toHaveLength(1);
    expect(await harborVersions(stack, project)).toEqual(['llama:1.3.0']);
    await eventually('the catalogue archived them', async () => JSON.stringify(await liveVersions(stack, project)) === JSON.stringify(['llama:1.3.0']));

    const removed = (records: ConsumedRecord[]) => records.filter((r) => JSON.parse(r.value).type === 'modelregistry.cleanup.version_removed');
    const events = removed(await readTopic(inject('kafkaBootstrap'), stack.topic, {
      what: 'three version_removed events',
      until: (records) => removed(records).length >= 3,
      never: { what: 'a fourth', check: (records) => removed(records).length > 3 && removed(records), forMs: 1500 },
    }));
    expect(events.map((e) => JSON.parse(e.value).data.tag).sort()).toEqual(['1.0.0', '1.1.0', '1.2.0']);
    const audit = await stack.database.sql`select 1 from modelregistry.audit_events where action = 'cleanup.version_removed' and details->>'runId' = ${run.id}`;
    expect(audit).toHaveLength(3);
  }, 180_000);
});

/** A semi-automatic run awaiting its approval while its workers are down. */
describe('a cleanup run approved while no worker runs', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  }, 120_000);
  afterAll(() => stack?.close());

  it('answers an approval no worker takes with 504 naming the wait, not 503 blaming Temporal; the run goes on once a worker is back', async () => {
    // The run on a task queue of its own, so that its worker alone can be killed (the stack's in-process one stays for the rest).
    const queue = uniqueName('cleanup-approval');
    const env = { ...stack.workerEnv, TEMPORAL_TASK_QUEUE: queue };
    let worker = await spawnWorker(env);
    try {
      const tenant = await createTenant(stack);
      const { project } = await onboardProject(stack, tenant, { name: uniqueName('approval') });
      await pushVersions(stack, project, 'llama', ['1.0.0', '1.1.0']);
      await catalogued(stack, project, ['llama:1.1.0']);
      expect((await putPolicy(stack, project, { mode: 'semi-automatic', rules: [{ kind: 'keep_newest', count: 1, per: 'model' }], approvalTimeoutHours: 1 })).status).toBe(200);
      const app = stack.appWith({ taskQueue: queue, mutationWaitMs: 2000 });
      const started = await app.request(`/api/v1/projects/${project}/cleanup/runs`, jsonRequest({ dryRun: false }));
      expect(started.status, await started.clone().text()).toBe(202);
      const run = await readJson(started);
      await runReaches(stack, project, run.id, 'awaiting_approval');

      worker.kill();
      const approval = await app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/approve`, { method: 'POST' });
      expect(approval.status, await approval.clone().text()).toBe(504);
      expect(approval.headers.get('content-type')).toBe('application/problem+json');
      expect(await readJson(approval)).toMatchObject({ type: 'https://model-registry.dev/problems/timeout', title: 'The approval was not taken in time', detail: expect.stringMatching(/^no worker took it within 2 s/) });

      // Back: the approval the dead worker never took may be taken now; if not, approving again succeeds.
      worker = await spawnWorker(env);
      await eventually('the run approved', async () => {
        if ((await getRun(stack, project, run.id)).approvedBy) return true;
        const again = await app.request(`/api/v1/projects/${project}/cleanup/runs/${run.id}/approve`, { method: 'POST' });
        return again.status === 200;
      }, { timeoutMs: 60_000 });
      const done = await runReaches(stack, project, run.id, 'succeeded', 'failed');
      expect(done).toMatchObject({ status: 'succeeded', done: 1 });
      expect(await harborVersions(stack, project)).toEqual(['llama:1.1.0']);
    } finally {
      worker.kill();
    }
  }, 180_000);
});
