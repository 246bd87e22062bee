import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRemoteOciActivities } from '../../activities/oci/remote';
import { startOciRegistry, type OciRegistry } from '../servers/oci-registry';
import { jsonRequest } from '../support/http';
import { startStackWithProject } from '../support/fixtures';
import { uniqueName, type TestStack } from '../support/stack';

/** A remote registry behind a self-signed certificate: reachable only when marked `insecure`, as Harbor's flag means. */
describe('an insecure remote registry (self-signed TLS)', () => {
  let stack: TestStack;
  let tenant: string;
  let tls: OciRegistry;

  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithProject('tls'));
    tls = await startOciRegistry({ tls: true });
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await tls?.stop();
  });

  it('is pinged and read over TLS when insecure, and refused with a clear reason when not', async () => {
    const name = uniqueName('selfsigned');
    const refused = await stack.app.request('/api/v1/registries', jsonRequest({ name: uniqueName('strict'), tenant, type: 'docker-registry', url: tls.url }));
    expect(refused.status, await refused.clone().text()).toBe(409);
    expect(await refused.json()).toMatchObject({ failedStep: 'ping', compensated: ['create-harbor-registry'] });
    const made = await stack.app.request('/api/v1/registries', jsonRequest({ name, tenant, type: 'docker-registry', url: tls.url, insecure: true }));
    expect(made.status, await made.clone().text()).toBe(201);

    const oci = createRemoteOciActivities({ db: stack.deps.db, secrets: stack.deps.secrets });
    // Reached over TLS: the registry answers that the repository is not there.
    expect(await oci.readRemoteManifest({ registry: stack.registry, name }, 'nobody/here', '1.0.0')).toBeNull();
    await stack.database.sql`update modelregistry.remote_registries set insecure = false where name = ${name}`;
    await expect(oci.readRemoteManifest({ registry: stack.registry, name }, 'nobody/here', '1.0.0')).rejects.toThrow(/TLS certificate is not trusted/);
  });
});
