import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant } from '../support/fixtures';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson } from '../support/http';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';
import { spawnWorker } from '../support/worker-process';
import { cacheMaintenanceWorkflow } from '../../workflows/virtual-registry-cache';
import { cacheEntriesOf, createUpstream, createVirtualRegistry, startHeldUpstream } from './pull-support';

/**
 * worker.ts killed (SIGKILL) while a warm streams a blob into the filesystem cache: the half it wrote
 * stays in `.tmp`, where no orphan sweep looks (it is no object). Maintenance removes it once
 * untouched for `unfinishedAgeHours`, and the warm, retried on another worker once its heartbeat
 * times out, fills the cache.
 */
describe('a worker killed while a warm streams a blob into the cache', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack({ worker: false });
  }, 300_000);
  afterAll(() => stack?.close());

  const unfinished = async () => {
    const dir = join(stack.cacheDir, '.tmp');
    const names = await readdir(dir).catch(() => []);
    return Promise.all(names.map(async (name) => ({ name, size: (await stat(join(dir, name))).size })));
  };

  it('leaves a temporary file that maintenance removes, and the retried warm fills the cache', async () => {
    const worker = await spawnWorker(stack.workerEnv);
    const tenant = await createTenant(stack);
    const repository = `acme/${uniqueName('crash')}`;
    const held = await startHeldUpstream(repository);
    try {
      const upstream = await createUpstream(stack, tenant, { url: held.url });
      const registry = await createVirtualRegistry(stack, tenant, [upstream]);
      const started = await stack.appWith({ mutationWaitMs: 0 }).request(`/api/v1/tenants/${tenant}/virtual-registries/${registry}/warm`, jsonRequest({ name: repository, reference: '1.0.0' }));
      expect(started.status, await started.clone().text()).toBe(202);
      const operation = started.headers.get('location')!;
      // The upstream holds the weights after their first half: the spawned worker is writing them.
      // (The tee writes whole 512 KiB batches, so the file stops short of the half the upstream sent.)
      await eventually('part of the weights in a temporary file', async () => {
        const files = await unfinished();
        return files.length === 1 && files[0]!.size >= held.weights.size / 4;
      });
      worker.kill();
      await eventually('the worker gone', () => worker.child.exitCode !== null || worker.child.signalCode !== null);
      expect(await unfinished()).toHaveLength(1);

      // Before the warm's heartbeat times out, nothing else writes to the cache: the only unfinished fill is the dead one.
      await stack.startWorker();
      const swept = await stack.client.workflow.execute(cacheMaintenanceWorkflow, {
        workflowId: uniqueName('cache-maintenance'),
        taskQueue: stack.taskQueue,
        args: [{ unusedDays: 30, orphanGraceSeconds: 1, unfinishedAgeHours: 0 }],
      });
      expect(swept.unfinishedRemoved).toBe(1);
      expect(await unfinished()).toEqual([]);

      held.release();
      const done = await eventually(
        'the warm retried and done',
        async () => {
          const op = await readJson(await stack.app.request(operation));
          return op.status === 'running' ? null : op;
        },
        { timeoutMs: 150_000 },
      );
      expect(done).toMatchObject({ status: 'completed', result: { status: 'done', blobsDone: 2 } });
      const entries = await cacheEntriesOf(stack, tenant, upstream);
      expect(entries.filter((e) => e.relative_path.includes('/blobs/')).map((e) => Number(e.size)).sort((a, b) => a - b)).toEqual([held.configSize, held.weights.size]);
      expect(await unfinished()).toEqual([]);
    } finally {
      worker.kill();
      held.release();
      await held.stop();
    }
  }, 300_000);
});
