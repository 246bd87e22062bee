import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../../activities';
import { refreshWorkflowId } from '../../lib/workflow-ids';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { eventually } from '../support/eventually';
import { pullManifest, pushModel, putManifest } from '../harbor/oci-push';
import { readJson } from '../support/http';
import { readTopic } from '../support/kafka';
import { onboardProject, startStackWithTenant } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

describe('refresh from Harbor repairs what lost webhooks missed', () => {
  let stack: TestStack, tenant: string;
  beforeAll(async () => { ({ stack, tenant } = await startStackWithTenant({ receiveWebhooks: true })); });
  afterAll(() => stack.close());

  const catalogue = async (project: string) =>
    (
      await stack.database.sql<{ v: string }[]>`
      select r.name || ':' || t.name || '@' || i.digest as v from modelregistry.tags t
      join modelregistry.images i on i.id = t.image_id and not i.is_archived
      join modelregistry.repositories r on r.id = i.repository_id
      join modelregistry.projects p on p.id = r.project_id
      where p.name = ${project} and not t.is_archived order by 1`
    ).map((r) => r.v);

  it('converges a project and a single model on Harbor after dropped webhooks', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('refresh') });
    const first = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.0.0');
    await eventually('the pushed model in the catalogue', async () => (await catalogue(project)).length > 0, { timeoutMs: 10_000 });
    expect(await catalogue(project)).toEqual([`llama:1.0.0@${first.digest}`]);

    // Harbor changes while every webhook is lost.
    stack.harbor.emulator.faults.dropWebhooks(100);
    const second = await pushModel(stack.harbor.emulator.url, `${project}/llama`, '1.1.0');
    const bert = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '0.1.0');
    await stack.harbor.client.artifacts.delete(project, 'llama', first.digest);
    await stack.harbor.client.artifacts.addTag(project, 'llama', second.digest, 'latest');
    await stack.harbor.emulator.webhooks.idle();
    expect(await catalogue(project)).toEqual([`llama:1.0.0@${first.digest}`]);

    const res = await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' });
    expect(res.status).toBe(200);
    const result = await readJson(res);
    expect(result.repositories.sort((a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name))).toEqual([
      { name: 'bert', added: 1, updated: 0, archived: 0 },
      { name: 'llama', added: 1, updated: 0, archived: 1 },
    ]);
    expect(await catalogue(project)).toEqual([`bert:0.1.0@${bert.digest}`, `llama:1.1.0@${second.digest}`, `llama:latest@${second.digest}`]);

    await stack.harbor.client.artifacts.deleteTag(project, 'llama', second.digest, 'latest');
    const model = await stack.app.request(`/api/v1/models/${project}/llama`, { method: 'POST' });
    expect(model.status).toBe(200);
    // Harbor sends no webhook for a tag's delete: the refresh finds it, and counts the version as updated.
    expect((await readJson(model)).repositories).toEqual([{ name: 'llama', added: 0, updated: 1, archived: 0 }]);
    expect(await catalogue(project)).toEqual([`bert:0.1.0@${bert.digest}`, `llama:1.1.0@${second.digest}`]);
    stack.harbor.emulator.faults.reset();
  });

  it('the reconciliation of every managed project (the Schedule\'s workflow) refreshes this one too', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('reconcile') });
    stack.harbor.emulator.faults.dropWebhooks(10);
    const model = await pushModel(stack.harbor.emulator.url, `${project}/vit`, '3.0.0');
    await stack.harbor.emulator.webhooks.idle();
    expect(await catalogue(project)).toEqual([]);
    const result = await stack.client.workflow.execute('reconcileAllWorkflow', { taskQueue: stack.taskQueue, workflowId: uniqueName('reconcile-all') });
    // Other test files' projects live on other (unknown here) registries and are reported, not fatal.
    expect((result as { failed: string[] }).failed).not.toContain(`${stack.registry}/${project}`);
    expect(await catalogue(project)).toEqual([`vit:3.0.0@${model.digest}`]);
    stack.harbor.emulator.faults.reset();

    // A refresh of it running (here on a queue nobody polls) is left to finish, not reported as a failure.
    const busy = await stack.client.workflow.start('refreshWorkflow', { workflowId: refreshWorkflowId(stack.registry, project), taskQueue: uniqueName('nobody'), args: [{ registry: stack.registry, project }] });
    try {
      const again = (await stack.client.workflow.execute('reconcileAllWorkflow', { taskQueue: stack.taskQueue, workflowId: uniqueName('reconcile-all') })) as { alreadyRunning: string[]; failed: string[] };
      expect(again.alreadyRunning).toContain(`${stack.registry}/${project}`);
      expect(again.failed).not.toContain(`${stack.registry}/${project}`);
    } finally {
      await busy.terminate('test over');
    }
    // It goes through every file's projects in the shared database, one child each.
  }, 180_000);

  it('leaves alone what the catalogue learned of after Harbor was listed: a push is not archived, a delete not brought back', async () => {
    const { project, projectId } = await onboardProject(stack, tenant, { name: uniqueName('listed') });
    const old = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.0.0');
    await eventually('the pushed version catalogued', async () => (await catalogue(project)).length === 1);
    // A refresh of a large project reconciles a repository minutes after it listed it.
    const activities = createActivities(stack.deps);
    const [listing] = await activities.listHarborRepositories(stack.registry, project, 'bert');
    const pushed = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.1.0');
    await stack.harbor.client.artifacts.delete(project, 'bert', old.digest);
    const now = [`bert:1.1.0@${pushed.digest}`];
    await eventually('the webhooks applied', async () => JSON.stringify(await catalogue(project)) === JSON.stringify(now));

    const reconcile = (repository: typeof listing) => new MockActivityEnvironment({ activityId: randomUUID() }).run(activities.reconcileRepository, { projectId, registry: stack.registry, repository: repository! });
    expect(await reconcile(listing)).toEqual({ added: 0, updated: 0, archived: 0, changes: [] });
    expect(await catalogue(project)).toEqual(now);
    // Listed empty before that push: the model it gave a version stays.
    await reconcile({ ...listing!, artifacts: [] });
    expect(await catalogue(project)).toEqual(now);
    expect(await stack.database.sql`select name from modelregistry.models where project_id = ${projectId} and not is_archived`).toEqual([{ name: 'bert' }]);
  });

  it('leaves alone the tags the catalogue learned of after Harbor was listed: a tag pushed is kept, an untag not undone', async () => {
    const { project, projectId } = await onboardProject(stack, tenant, { name: uniqueName('listed-tags') });
    const a = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.0.0');
    const b = await pushModel(stack.harbor.emulator.url, `${project}/bert`, '1.1.0');
    await eventually('both versions catalogued', async () => (await catalogue(project)).length === 2);
    const activities = createActivities(stack.deps);
    const [listing] = await activities.listHarborRepositories(stack.registry, project, 'bert');

    // After the listing: 1.1.0's manifest pushed again as `stable` (its webhook adds the tag), and a cleanup's untag of 1.0.0.
    const manifest = (await (await pullManifest(stack.harbor.emulator.url, `${project}/bert`, '1.1.0')).json()) as object;
    await putManifest(stack.harbor.emulator.url, `${project}/bert`, 'stable', manifest);
    await stack.harbor.client.artifacts.deleteTag(project, 'bert', a.digest, '1.0.0');
    await activities.recordCleanedVersion({ runId: randomUUID(), progress: { done: 1, bytesFreed: 0 }, archive: { projectId, project, model: 'bert', digest: a.digest, tag: '1.0.0', action: 'untag' } });
    const now = [`bert:1.1.0@${b.digest}`, `bert:stable@${b.digest}`];
    await eventually('the push webhook applied', async () => JSON.stringify(await catalogue(project)) === JSON.stringify(now));

    await new MockActivityEnvironment().run(activities.reconcileRepository, { projectId, registry: stack.registry, repository: listing! });
    expect(await catalogue(project)).toEqual(now);
  });

  it('archives a model whose whole repository Harbor deleted while its webhooks were lost, by model and by project', async () => {
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('gone') });
    await pushModel(stack.harbor.emulator.url, `${project}/gpt`, '1.0.0');
    await pushModel(stack.harbor.emulator.url, `${project}/t5`, '2.0.0');
    await eventually('both models catalogued', async () => (await catalogue(project)).length === 2, { timeoutMs: 10_000 });
    stack.harbor.emulator.faults.dropWebhooks(100);
    await stack.harbor.client.repositories.delete(project, 'gpt');
    await stack.harbor.client.repositories.delete(project, 't5');
    await stack.harbor.emulator.webhooks.idle();
    stack.harbor.emulator.faults.reset();
    expect(await catalogue(project)).toHaveLength(2);

    const model = await stack.app.request(`/api/v1/models/${project}/t5`, { method: 'POST' });
    expect(model.status, await model.clone().text()).toBe(200);
    expect((await readJson(model)).repositories).toEqual([{ name: 't5', added: 0, updated: 0, archived: 1 }]);
    expect((await stack.app.request(`/api/v1/models/${project}/t5`)).status).toBe(404);

    const whole = await stack.app.request(`/api/v1/projects/${project}/refresh`, { method: 'POST' });
    expect(whole.status).toBe(200);
    expect((await readJson(whole)).repositories).toEqual([{ name: 'gpt', added: 0, updated: 0, archived: 1 }]);
    expect(await catalogue(project)).toEqual([]);
    // Each archived version announced as its lost webhook would have been; a model's refresh keyed as the model.
    const events = (await readTopic(inject('kafkaBootstrap'), stack.topic, { what: 'the archives announced', until: (rs) => rs.filter((r) => r.key.startsWith(`models/${stack.registry}/${project}/`) && JSON.parse(r.value).type === 'modelregistry.model.image_archived').length >= 2 }))
      .map((r) => JSON.parse(r.value))
      .filter((e) => e.data.project === project);
    expect(events.filter((e) => e.type === 'modelregistry.model.image_archived').map((e) => [e.data.model, e.data.change, e.data.via, e.data.tags])).toEqual([['t5', 'archived', 'refresh', []], ['gpt', 'archived', 'refresh', []]]);
    expect(events.filter((e) => e.type === 'modelregistry.model.refreshed').map((e) => e.subject)).toEqual([`models/${stack.registry}/${project}/t5`, `projects/${stack.registry}/${project}`]);
    // Neither Harbor nor the catalogue has it now: nothing to refresh.
    expect((await stack.app.request(`/api/v1/models/${project}/t5`, { method: 'POST' })).status).toBe(404);
  });

  it("a reconcile retried after its commit (the answer lost) reports the changes it made, not nothing, so they are announced", async () => {
    const { project, projectId } = await onboardProject(stack, tenant, { name: uniqueName('lost') });
    stack.harbor.emulator.faults.dropWebhooks(100);
    const pushed = await pushModel(stack.harbor.emulator.url, `${project}/phi`, '1.0.0');
    await pushModel(stack.harbor.emulator.url, `${project}/orca`, '1.0.0');
    await stack.harbor.emulator.webhooks.idle();
    stack.harbor.emulator.faults.reset();
    const activities = createActivities(stack.deps);
    const [listing] = await activities.listHarborRepositories(stack.registry, project, 'phi');
    // The same activity of the same run, attempted twice.
    const info = { activityId: randomUUID(), workflowExecution: { workflowId: `refresh:${project}`, runId: randomUUID() } };
    const input = { projectId, registry: stack.registry, repository: listing! };
    const first = await new MockActivityEnvironment(info).run(activities.reconcileRepository, input);
    expect(first).toEqual({ added: 1, updated: 0, archived: 0, changes: [{ digest: pushed.digest, change: 'added', tags: ['1.0.0'] }] });
    expect(await new MockActivityEnvironment({ ...info, attempt: 2 }).run(activities.reconcileRepository, input)).toEqual(first);
    // Another activity finds nothing left to do.
    expect(await new MockActivityEnvironment({ ...info, activityId: randomUUID() }).run(activities.reconcileRepository, input)).toMatchObject({ added: 0, changes: [] });
    // A later change undoes what was recorded (the version deleted, its webhook applied): a retry no longer reports the add.
    await stack.harbor.client.artifacts.delete(project, 'phi', pushed.digest);
    await eventually('the delete applied', async () => !(await catalogue(project)).some((v) => v.startsWith('phi:')));
    expect(await new MockActivityEnvironment({ ...info, attempt: 3 }).run(activities.reconcileRepository, input)).toEqual({ added: 0, updated: 0, archived: 0, changes: [] });

    // The archive of a repository Harbor deleted, likewise: the retry finds no live model, and says what it archived.
    const [orca] = await activities.listHarborRepositories(stack.registry, project, 'orca');
    await new MockActivityEnvironment({ activityId: randomUUID() }).run(activities.reconcileRepository, { ...input, repository: orca! });
    await stack.harbor.client.repositories.delete(project, 'orca');
    const named = { ...info, activityId: randomUUID() };
    const ref = { projectId, registry: stack.registry, fullName: `${project}/orca` };
    const archived = await new MockActivityEnvironment(named).run(activities.reconcileNamedRepository, ref);
    expect(archived).toMatchObject({ archived: 1 });
    expect(await new MockActivityEnvironment({ ...named, attempt: 2 }).run(activities.reconcileNamedRepository, ref)).toEqual(archived);
    expect(await new MockActivityEnvironment({ ...named, activityId: randomUUID() }).run(activities.reconcileNamedRepository, ref)).toBeNull();
  });

  it('answers 404 for an unknown project or model', async () => {
    expect((await stack.app.request(`/api/v1/projects/${uniqueName('none')}/refresh`, { method: 'POST' })).status).toBe(404);
    const { project } = await onboardProject(stack, tenant, { name: uniqueName('refresh') });
    const missing = await stack.app.request(`/api/v1/models/${project}/ghost`, { method: 'POST' });
    expect(missing.status).toBe(404);
    expect((await stack.app.request(`/api/v1/models/${project}/ghost?registry=elsewhere`, { method: 'POST' })).status).toBe(400);
  });
});
