import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarborEmulator } from '../harbor-emulator';
import { startOciRegistry } from '../servers/oci-registry';
import { createHarborAdminClient } from '../support/harbor-admin';
import { uniqueName } from '../support/stack';
import { pushModel } from './oci-push';

/** The local stack restarts its emulator over the same registry data: Harbor's own state must survive it too. */
describe('the emulator keeps its state in a file when given one', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'modelregistry-emulator-state-'));
  const registryDir = join(dataDir, 'registry');
  const stateFile = join(dataDir, 'harbor-state.json');
  let registry: Awaited<ReturnType<typeof startOciRegistry>>;
  beforeAll(async () => {
    registry = await startOciRegistry({ dataDir: registryDir });
  });
  afterAll(() => registry?.stop());

  const start = async () => {
    const emulator = await startHarborEmulator({ registryUrl: registry.url, validate: 'throw', stateFile });
    return { emulator, client: createHarborAdminClient({ baseUrl: emulator.url, username: emulator.username, password: emulator.password, timeoutMs: 5000 }) };
  };

  it('has the projects, robots and pushed artifacts of the run before', async () => {
    const project = uniqueName('kept');
    const first = await start();
    const projectId = await first.client.projects.create({ project_name: project });
    await first.client.robots.create({ name: 'ci', level: 'project', duration: 1, permissions: [{ kind: 'project', namespace: project, access: [{ resource: 'repository', action: 'pull' }] }] });
    const model = await pushModel(first.emulator.url, `${project}/bert`, '1.0.0');
    await first.emulator.stop();

    const second = await start();
    try {
      expect((await second.client.projects.get(project))?.project_id).toBe(projectId);
      expect((await second.client.robots.listForProject(projectId)).map((r) => r.name)).toEqual([`robot$${project}+ci`]);
      expect((await second.client.artifacts.get(project, 'bert', model.digest))?.digest).toBe(model.digest);
      // Ids go on from where the last run stopped: nothing new collides with what was kept.
      expect(await second.client.projects.create({ project_name: uniqueName('next') })).toBeGreaterThan(projectId);
    } finally {
      await second.emulator.stop();
    }
  });

  it('has written a change to its file before it answers: a kill right after loses nothing it confirmed', async () => {
    const project = uniqueName('durable');
    const { emulator, client } = await start();
    try {
      await client.projects.create({ project_name: project });
      expect(readFileSync(stateFile, 'utf8')).toContain(`"${project}"`);
    } finally {
      await emulator.stop();
    }
  });

  it('keeps what cleanup reads: the clock, pull times, immutability rules, retention executions, GC history and the trash GC sweeps', async () => {
    const project = uniqueName('cleanup');
    const first = await start();
    await first.client.projects.create({ project_name: project });
    const kept = await pushModel(first.emulator.url, `${project}/llm`, '1.0.0');
    const gone = await pushModel(first.emulator.url, `${project}/llm`, '2.0.0');
    await (await fetch(`${first.emulator.url}/v2/${project}/llm/manifests/1.0.0`, { headers: { accept: 'application/vnd.oci.image.manifest.v1+json' } })).arrayBuffer();
    first.emulator.clock.advance(3 * 3600_000);
    await first.client.api.POST('/projects/{project_name_or_id}/immutabletagrules', {
      params: { path: { project_name_or_id: project }, header: { 'X-Is-Resource-Name': true } },
      body: { tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '1.*' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } },
    });
    const policyId = await first.client.retention.create({
      algorithm: 'or',
      rules: [{ action: 'retain', template: 'always', params: {}, tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**' }], scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] } }],
      scope: { level: 'project', ref: (await first.client.projects.get(project))!.project_id! },
    });
    const executionId = await first.client.retention.createExecution(policyId, true);
    await first.emulator.jobs.idle();
    await first.client.artifacts.delete(project, 'llm', gone.digest);
    const before = (await first.client.artifacts.get(project, 'llm', kept.digest))!;
    await first.emulator.stop();

    const second = await start();
    try {
      const after = (await second.client.artifacts.get(project, 'llm', kept.digest))!;
      expect([after.push_time, after.pull_time, after.tags?.[0]?.pull_time, after.tags?.[0]?.immutable]).toEqual([before.push_time, before.pull_time, before.tags?.[0]?.pull_time, true]);
      expect(Date.parse(second.emulator.clock.now())).toBeGreaterThan(Date.now() + 2.9 * 3600_000);
      expect((await second.client.retention.listExecutions(policyId)).map((e) => [e.id, e.status])).toEqual([[executionId, 'Success']]);
      const gcId = (await second.client.gc.schedule('Manual', { dry_run: true }))!;
      await second.emulator.jobs.idle();
      const gc = (await second.client.gc.get(gcId))!;
      expect(JSON.parse(gc.job_parameters!)).toMatchObject({ freed_space: gone.config.size + gone.layers[0]!.size + gone.layers[1]!.size + gone.manifestSize });
      expect((await second.client.gc.history()).map((g) => g.id)).toEqual([gcId]);
      expect(second.emulator.violations).toEqual([]);
    } finally {
      await second.emulator.stop();
    }
  });
});
