import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { readTopic, type ConsumedRecord } from '../support/kafka';
import { createTenant, onboardProject } from '../support/fixtures';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';
import { catalogued, harborVersions, liveVersions, pushVersions, putPolicy, runReaches, startRun, versionsOf } from './support';

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
