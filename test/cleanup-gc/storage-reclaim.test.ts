import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createHarborGcActivities } from '../../activities/harbor/gc';
import { ensureSchedules, storageReclaimScheduleId } from '../../composition/schedules';
import { pushModel } from '../harbor/oci-push';
import { bearer } from '../support/auth';
import { eventually } from '../support/eventually';
import { jsonRequest, readJson, type Json } from '../support/http';
import { readTopic } from '../support/kafka';
import { startTestStack, uniqueName, type TestStack } from '../support/stack';

const HOUR = 3600_000;

describe('storage reclaim (Harbor garbage collection)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ keycloak: false });
  }, 120_000);
  afterAll(() => stack?.close());

  /** A raw GET straight to the registry behind the emulator. */
  const registryStatus = async (path: string) => {
    const res = await fetch(`${stack.harbor.registryUrl}/v2/${path}`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } });
    await res.body?.cancel();
    return res.status;
  };
  const start = async (body: object) => {
    const res = await stack.app.request('/api/v1/cleanup/gc', jsonRequest(body));
    const json = await readJson(res);
    expect(res.status, JSON.stringify(json)).toBe(202);
    expect(res.headers.get('location')).toBe(json.status);
    return json as { id: string; status: string };
  };
  const finished = (status: string): Promise<Json> =>
    eventually(`${status} done`, async () => {
      const view = await readJson(await stack.app.request(status));
      return view.state !== 'running' && view;
    }, { timeoutMs: 60_000 });
  /** A model version with a weight layer shared by none, and a second version sharing nothing: what deleting one leaves for GC. */
  async function pushAndDelete(project: string) {
    const kept = await pushModel(stack.harbor.emulator.url, `${project}/base`, '1.0.0');
    const gone = await pushModel(stack.harbor.emulator.url, `${project}/base`, '2.0.0');
    await stack.harbor.client.artifacts.delete(project, 'base', gone.digest);
    return { kept, gone };
  }
  const harborGc = async (gcId: number) => JSON.parse((await stack.harbor.client.gc.get(gcId))!.job_parameters!) as Record<string, unknown>;

  it('a dry-run request reports what Harbor would free and deletes nothing', async () => {
    const project = uniqueName('gcdry');
    await stack.harbor.client.projects.create({ project_name: project });
    const { gone } = await pushAndDelete(project);
    stack.harbor.emulator.clock.advance(3 * HOUR); // past Harbor's 2-hour GC time window

    const { status } = await start({ dryRun: true });
    const view = await finished(status);
    expect(view).toMatchObject({ state: 'completed', stage: 'done', registry: stack.registry, run: null, dryRun: { dryRun: true, status: 'Success', finished: true } });
    expect(view.dryRun.freedBytes).toBeGreaterThan(0);
    expect(view.dryRun.freedBytes).toBe((await harborGc(view.dryRun.gcId)).freed_space);
    for (const blob of [gone.config, ...gone.layers]) expect(await registryStatus(`${project}/base/blobs/${blob.digest}`)).toBe(200);
    expect((await stack.harbor.client.gc.history()).filter((g) => JSON.parse(g.job_parameters!).dry_run === false)).toEqual([]);
  });

  it('a platform administrator runs GC dry then real; it reports what Harbor freed, the blobs are gone, audited and announced', async () => {
    const project = uniqueName('gcreal');
    await stack.harbor.client.projects.create({ project_name: project });
    const { kept, gone } = await pushAndDelete(project);
    // An untagged artifact: deleted by delete_untagged (the default).
    const untagged = await pushModel(stack.harbor.emulator.url, `${project}/scratch`, 'tmp');
    await stack.harbor.client.tags.delete(project, 'scratch', untagged.digest, 'tmp');
    stack.harbor.emulator.clock.advance(3 * HOUR);

    const { id, status } = await start({});
    const view = await finished(status);
    expect(view, JSON.stringify(view)).toMatchObject({ id, state: 'completed', stage: 'done', dryRun: { dryRun: true, status: 'Success' }, run: { dryRun: false, status: 'Success' } });
    const harborRun = await harborGc(view.run.gcId);
    expect(harborRun).toMatchObject({ dry_run: false, delete_untagged: true });
    expect(view.run).toMatchObject({ freedBytes: harborRun.freed_space, purgedBlobs: harborRun.purged_blobs, purgedManifests: harborRun.purged_manifests });
    expect(view.run.freedBytes).toBeGreaterThanOrEqual(gone.totalSize + untagged.totalSize);
    expect(view.dryRun.freedBytes).toBe(view.run.freedBytes);
    expect(view.dryRun.gcId).toBeLessThan(view.run.gcId);

    for (const blob of [gone.config, ...gone.layers]) expect(await registryStatus(`${project}/base/blobs/${blob.digest}`)).toBe(404);
    for (const blob of [untagged.config, ...untagged.layers]) expect(await registryStatus(`${project}/scratch/blobs/${blob.digest}`)).toBe(404);
    for (const blob of [kept.config, ...kept.layers]) expect(await registryStatus(`${project}/base/blobs/${blob.digest}`)).toBe(200);

    const subject = `registries/${stack.registry}/storage`;
    const audit = await stack.database.sql`select action, actor, details from modelregistry.audit_events where resource = ${subject}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'storage.reclaimed', details: { run: { gcId: view.run.gcId, freedBytes: view.run.freedBytes } } });
    const events = await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the reclaim event', until: (records) => records.some((r) => r.key === subject) });
    const event = JSON.parse(events.find((r) => r.key === subject)!.value);
    expect(event).toMatchObject({ type: 'modelregistry.storage.reclaimed', data: { registry: stack.registry, run: { gcId: view.run.gcId } } });
  });

  it('one at a time per Harbor instance: the same request while one runs joins it, a different one gets 409, the Schedule\'s run leaves it alone', async () => {
    // On a task queue nobody polls the first one stays running.
    const idle = stack.appWith({ taskQueue: uniqueName('nobody') });
    const first = await readJson(await idle.request('/api/v1/cleanup/gc', jsonRequest({ dryRun: true })));
    try {
      const again = await idle.request('/api/v1/cleanup/gc', jsonRequest({ dryRun: true }));
      expect(again.status).toBe(202);
      expect((await readJson(again)).id).toBe(first.id);
      const busy = await idle.request('/api/v1/cleanup/gc', jsonRequest({ dryRun: false }));
      expect(busy.status).toBe(409);
      expect(busy.headers.get('location')).toBe(first.status);
      // Its status, with no worker to answer the progress query: running, no stage yet.
      const status = await idle.request(first.status);
      expect(status.status).toBe(200);
      expect(await readJson(status)).toMatchObject({ id: first.id, state: 'running', stage: null });
      // The Schedule's run (its own id, the time appended) leaves the running one alone rather than run a second GC beside it.
      const scheduled = await stack.client.workflow.execute('scheduledStorageReclaimWorkflow', {
        workflowId: `storage-reclaim:${stack.registry}-${new Date().toISOString()}`,
        taskQueue: stack.taskQueue,
        args: [{ registry: stack.registry, deleteUntagged: true, dryRun: false }],
      });
      expect(scheduled).toEqual({ alreadyRunning: `storage-reclaim:${stack.registry}` });
    } finally {
      await stack.client.workflow.getHandle(`storage-reclaim:${stack.registry}`).terminate('test over');
    }
  });

  it('a GC Harbor is already running (started elsewhere) stops the reclaim at the dry run, saying so', async () => {
    const state = stack.harbor.emulator.state;
    const id = state.nextId();
    const stamp = stack.harbor.emulator.clock.now();
    state.gcExecutions.set(id, { id, trigger: 'SCHEDULE', status: 'Running', parameters: { dry_run: false }, creationTime: stamp, updateTime: stamp, log: [] });
    try {
      const { status } = await start({ dryRun: true });
      const view = await finished(status);
      expect(view, JSON.stringify(view)).toMatchObject({ state: 'failed', stage: null, dryRun: null, run: null, problem: { status: 409, stage: 'dry-run' } });
    } finally {
      state.gcExecutions.delete(id);
    }
  });

  it("a start retried after its answer was lost takes the run it started, even one that has ended, rather than start another", async () => {
    const { startHarborGc } = createHarborGcActivities(stack.deps);
    const env = new MockActivityEnvironment({ scheduledTimestampMs: Date.now() });
    const first = (await env.run(startHarborGc, stack.registry, { dryRun: true, deleteUntagged: false })) as number;
    await eventually('the dry run ended', async () => (await stack.harbor.client.gc.get(first))?.job_status === 'Success', { timeoutMs: 30_000 });
    const runs = (await stack.harbor.client.gc.history()).length;
    const retry = new MockActivityEnvironment({ attempt: 2, scheduledTimestampMs: env.context.info.scheduledTimestampMs });
    expect(await retry.run(startHarborGc, stack.registry, { dryRun: true, deleteUntagged: false })).toBe(first);
    expect((await stack.harbor.client.gc.history()).length).toBe(runs);
  });

  it('is for platform administrators only: a tenant admin gets 403', async () => {
    const token = await stack.auth.token({ username: uniqueName('tadmin'), tenant: uniqueName('acme'), role: 'admin' });
    const post = await stack.app.request('/api/v1/cleanup/gc', jsonRequest({}, bearer(token)));
    expect(post.status).toBe(403);
    expect(await readJson(post)).toMatchObject({ action: 'cleanup.admin' });
    const { status } = await start({ dryRun: true });
    const read = await stack.app.request(status, { headers: bearer(token) });
    expect(read.status).toBe(403);
    await finished(status);
  });

  it('answers 400 naming the field for a bad body, 404 for an unknown id', async () => {
    const cases: [object, string][] = [
      [{ dryRun: 'yes' }, 'body.dryRun'],
      [{ deleteUntagged: 1 }, 'body.deleteUntagged'],
      [{ registry: 'elsewhere.example' }, 'body.registry'],
      [{ dry_run: true }, 'body'],
    ];
    for (const [body, field] of cases) {
      const res = await stack.app.request('/api/v1/cleanup/gc', jsonRequest(body));
      const problem = await readJson(res);
      expect(res.status, JSON.stringify(problem)).toBe(400);
      expect(res.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect(problem.errors.map((e: { field: string }) => e.field), JSON.stringify(problem)).toContain(field);
    }
    expect((await stack.app.request('/api/v1/cleanup/gc/not-an-operation')).status).toBe(404);
  });

  it('a Schedule per Harbor instance runs it on the configured cron, paused unless enabled; a changed cron is taken', async () => {
    const opts = { registries: [stack.registry], cron: '0 3 * * 0', enabled: false };
    await ensureSchedules(stack.client, stack.taskQueue, { storageReclaim: opts });
    const handle = stack.client.schedule.getHandle(storageReclaimScheduleId(stack.registry));
    const described = await handle.describe();
    expect(described.state.paused).toBe(true);
    expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'scheduledStorageReclaimWorkflow', workflowId: `storage-reclaim:${stack.registry}`, args: [{ registry: stack.registry, deleteUntagged: true, dryRun: false }] });
    expect(described.spec.calendars?.length ?? 0).toBeGreaterThan(0);
    const before = JSON.stringify(described.spec);

    await ensureSchedules(stack.client, stack.taskQueue, { storageReclaim: { ...opts, cron: '0 4 * * 1' } });
    const changed = await handle.describe();
    expect(JSON.stringify(changed.spec)).not.toBe(before);
    expect(changed.state.paused).toBe(true);
    await handle.delete();
  });
});
