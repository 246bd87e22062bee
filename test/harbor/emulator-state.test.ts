import { mkdtempSync } from 'node:fs';
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
});
