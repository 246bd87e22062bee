import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarbor, type HarborTestbed } from '../support/harbor';
import { uniqueName } from '../support/stack';
import { pullManifest, pushModel } from './oci-push';

/** The local stack's emulator, as Harbor: a push needs credentials, so clients send them and the push's operator is who pushed. */
describe('an emulator that refuses anonymous writes', () => {
  let h: HarborTestbed;
  beforeAll(async () => {
    h = await startHarbor({ anonymousWrites: false });
  });
  afterAll(() => h?.stop());

  it('challenges an anonymous push (401, Basic), takes the admin\'s and still serves anonymous reads', async () => {
    const project = uniqueName('anon');
    await h.client.projects.create({ project_name: project, metadata: { public: 'true' } });
    await expect(pushModel(h.emulator.url, `${project}/m`, '1.0.0')).rejects.toThrow(/: 401 /);
    const challenge = await fetch(`${h.emulator.url}/v2/${project}/m/blobs/uploads/`, { method: 'POST' });
    expect(challenge.status).toBe(401);
    expect(challenge.headers.get('www-authenticate')).toBe('Basic realm="harbor"');
    const pushed = await pushModel(h.emulator.url, `${project}/m`, '1.0.0', { auth: { username: h.emulator.username, password: h.emulator.password } });
    const read = await pullManifest(h.emulator.url, `${project}/m`, '1.0.0');
    expect(read.status).toBe(200);
    expect(read.headers.get('docker-content-digest')).toBe(pushed.digest);
  });
});
