import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../../activities';
import { startStackWithTenant } from '../support/fixtures';
import { jsonRequest } from '../support/http';
import { uniqueName, type TestStack } from '../support/stack';

describe("an upstream's delete and a virtual registry's list set at once", () => {
  let stack: TestStack;
  let tenant: string;
  beforeAll(async () => {
    ({ stack, tenant } = await startStackWithTenant());
  }, 120_000);
  afterAll(() => stack?.close());

  it('never leaves the list naming the upstream the delete archived', async () => {
    const upstream = uniqueName('raced');
    const registry = uniqueName('raced');
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/upstreams`, jsonRequest({ name: upstream, url: stack.harbor.registryUrl }))).status).toBe(201);
    expect((await stack.app.request(`/api/v1/tenants/${tenant}/virtual-registries`, jsonRequest({ name: registry }))).status).toBe(201);
    const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.upstreams where tenant_id = ${tenant} and name = ${upstream}`;
    const id = row!.id;

    // The delete's transaction (archiveUpstream) holds the upstream, has found no registry using it, and is about to archive it.
    const deleting = await stack.database.sql.reserve();
    await deleting`begin`;
    await deleting`select id from modelregistry.upstreams where id = ${id} for update`;
    const set = createActivities(stack.deps).setVirtualRegistryUpstreams({ tenant, name: registry }, [{ upstream, position: 1 }]).then(
      (record) => ({ record }),
      (err: Error & { type?: string }) => ({ err }),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await deleting`update modelregistry.upstreams set is_archived = true, deleted_at = now() where id = ${id}`;
    await deleting`commit`;
    deleting.release();

    const outcome = await set;
    expect('err' in outcome && outcome.err.type).toBe('ValidationFailed');
    const listed = await stack.database.sql`select 1 from modelregistry.virtual_registry_upstreams where upstream_id = ${id}`;
    expect(listed).toHaveLength(0);
  });
});
