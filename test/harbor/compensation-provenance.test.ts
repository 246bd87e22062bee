import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHarborInstances } from '../../activities/harbor';
import { createHarborProjectActivities } from '../../activities/harbor/projects';
import { createHarborRegistryActivities } from '../../activities/harbor/registries';
import { createSecretBox } from '../../lib/secrets';
import { startHarbor, type HarborTestbed } from '../support/harbor';
import { uniqueName } from '../support/stack';

/**
 * A saga's compensation deletes by name what its step may have made; given the time the step
 * began, it leaves alone what Harbor made of that name before (someone else's).
 */
/** Someone else made it an hour before the step began. */
const HOUR_AGO = () => new Date(Date.now() - 3_600_000).toISOString();

describe('compensations delete only what Harbor created since their step began', () => {
  let h: HarborTestbed;
  let projects: ReturnType<typeof createHarborProjectActivities>;
  let registries: ReturnType<typeof createHarborRegistryActivities>;
  beforeAll(async () => {
    h = await startHarbor();
    const harbor = createHarborInstances([{ address: 'h.test', url: h.emulator.url, username: h.emulator.username, password: h.emulator.password }]);
    projects = createHarborProjectActivities({ harbor });
    registries = createHarborRegistryActivities({ harbor, secrets: createSecretBox(Buffer.alloc(32, 7)) });
  });
  afterAll(() => h?.stop());

  it('a project', async () => {
    const [theirs, ours] = [uniqueName('theirs'), uniqueName('ours')];
    await h.client.projects.create({ project_name: theirs });
    h.emulator.state.projects.get(theirs)!.project.creation_time = HOUR_AGO();
    const since = Date.now() - 1_000;
    await h.client.projects.create({ project_name: ours });
    await projects.deleteHarborProject('h.test', theirs, since);
    await projects.deleteHarborProject('h.test', ours, since);
    expect(await h.client.projects.get(theirs)).toBeDefined();
    expect(h.emulator.state.projects.has(ours)).toBe(false);
  });

  it('a registry endpoint', async () => {
    const [theirs, ours] = [uniqueName('theirs'), uniqueName('ours')];
    await h.client.registries.create({ name: theirs, type: 'docker-registry', url: h.registryUrl });
    [...h.emulator.state.registries.values()].find((r) => r.name === theirs)!.creation_time = HOUR_AGO();
    const since = Date.now() - 1_000;
    await h.client.registries.create({ name: ours, type: 'docker-registry', url: h.registryUrl });
    await registries.deleteHarborRegistryNamed('h.test', theirs, since);
    await registries.deleteHarborRegistryNamed('h.test', ours, since);
    expect((await h.client.registries.list()).map((r) => r.name)).toContain(theirs);
    expect((await h.client.registries.list()).map((r) => r.name)).not.toContain(ours);
  });
});
