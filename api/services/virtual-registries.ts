import type { z } from '@hono/zod-openapi';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findTenant } from '../../db/queries/tenants';
import { findLiveUpstream, findLiveVirtualRegistry, listUpstreams, listVirtualRegistries } from '../../db/queries/virtual-registries';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import type { SecretBox } from '../../lib/secrets';
import type { SealedUpstreamCredential } from '../../lib/virtual-registries';
import { upstreamCheckWorkflowId, upstreamWorkflowId, virtualRegistryCacheWorkflowId, virtualRegistryWarmWorkflowId, virtualRegistryWorkflowId } from '../../lib/workflow-ids';
import {
  upstreamCheckWorkflow,
  upstreamCreateWorkflow,
  upstreamDeleteWorkflow,
  upstreamUpdateWorkflow,
  virtualRegistryCachePurgeWorkflow,
  virtualRegistryCreateWorkflow,
  virtualRegistryDeleteWorkflow,
  virtualRegistryUpdateWorkflow,
  virtualRegistryUpstreamsWorkflow,
  virtualRegistryWarmWorkflow,
} from '../../workflows';
import type { Actor } from '../../workflows/actor';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import type { PageQuery } from '../schemas/common';
import type {
  UpstreamCreateSchema,
  UpstreamListSchema,
  UpstreamPatchSchema,
  VirtualRegistryCreateSchema,
  VirtualRegistryPatchSchema,
  WarmRequestSchema,
} from '../schemas/virtual-registries';
import { mutate } from './mutation';

/** An upstream or a virtual registry of a tenant, as a request names it. */
export interface UpstreamRef {
  tenant: string;
  upstream: string;
}
export interface VirtualRegistryRef {
  tenant: string;
  virtualRegistry: string;
}

const notFound = (title: string, detail: string) => new ProblemError(problemBody(404, 'not-found', title, detail));
const missingTenant = (tenant: string) => notFound('Tenant not found', `no tenant named "${tenant}"`);
const missingRegistry = (ref: VirtualRegistryRef) => notFound('Virtual registry not found', `no virtual registry "${ref.virtualRegistry}" in tenant ${ref.tenant}`);

/**
 * Upstreams and virtual registries of a tenant, for every transport: writes by workflows, reads
 * from the catalogue; credentials sealed here before anything else sees them, never answered.
 */
export function createVirtualRegistryService(deps: { db: Db; mutations: MutationDeps; secrets: SecretBox }) {
  const run = <W extends Workflow>(workflowId: string, kind: string, tenant: string, workflowFn: W, args: Parameters<W>, idempotencyKey: string | undefined) =>
    mutate(
      deps.mutations,
      workflowFn,
      { workflowId, args, idempotencyKey, searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: kind }] },
      (result: WorkflowResultType<W>) => result,
    );
  const seal = (credential: { kind: 'basic'; username: string; password: string }): SealedUpstreamCredential => ({ kind: credential.kind, username: credential.username, sealedSecret: deps.secrets.seal(credential.password) });
  const afterOf = (cursor: string | undefined) => {
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (after === null) throw new ProblemError(invalidCursor());
    return after;
  };

  return {
    upstreams: {
      list: async (tenant: string, q: z.infer<typeof PageQuery>) => pageResponse(await listUpstreams(deps.db, tenant, { after: afterOf(q.cursor), limit: q.limit })),

      async get(ref: UpstreamRef) {
        const found = await findLiveUpstream(deps.db, ref.tenant, ref.upstream);
        if (!found) throw notFound('Upstream not found', `no upstream "${ref.upstream}" in tenant ${ref.tenant}`);
        return found;
      },

      async create(tenant: string, body: z.infer<typeof UpstreamCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
        const { credential, ...fields } = body;
        if (!(await findTenant(deps.db, tenant))) throw missingTenant(tenant);
        const spec = { tenant, ...fields, ...(credential ? { credential: seal(credential) } : {}) };
        return run(upstreamWorkflowId(tenant, fields.name), 'upstream.create', tenant, upstreamCreateWorkflow, [{ spec, actor }], idempotencyKey);
      },

      update(ref: UpstreamRef, body: z.infer<typeof UpstreamPatchSchema>, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, upstream: name } = ref;
        const { credential, ...fields } = body;
        const patch = { ...fields, ...(credential === undefined ? {} : { credential: credential === null ? null : seal(credential) }) };
        return run(upstreamWorkflowId(tenant, name), 'upstream.update', tenant, upstreamUpdateWorkflow, [{ ref: { tenant, name }, patch, actor }], idempotencyKey);
      },

      remove(ref: UpstreamRef, force: boolean, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, upstream: name } = ref;
        return run(upstreamWorkflowId(tenant, name), 'upstream.delete', tenant, upstreamDeleteWorkflow, [{ ref: { tenant, name }, actor, ...(force ? { force } : {}) }], idempotencyKey);
      },

      check(ref: UpstreamRef, idempotencyKey: string | undefined) {
        const { tenant, upstream: name } = ref;
        return run(upstreamCheckWorkflowId(tenant, name), 'upstream.check', tenant, upstreamCheckWorkflow, [{ tenant, name }], idempotencyKey);
      },
    },

    registries: {
      list: async (tenant: string, q: z.infer<typeof PageQuery>) => pageResponse(await listVirtualRegistries(deps.db, tenant, { after: afterOf(q.cursor), limit: q.limit })),

      async get(ref: VirtualRegistryRef) {
        const found = await findLiveVirtualRegistry(deps.db, ref.tenant, ref.virtualRegistry);
        if (!found) throw missingRegistry(ref);
        return found;
      },

      async create(tenant: string, body: z.infer<typeof VirtualRegistryCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
        if (!(await findTenant(deps.db, tenant))) throw missingTenant(tenant);
        return run(virtualRegistryWorkflowId(tenant, body.name), 'virtual-registry.create', tenant, virtualRegistryCreateWorkflow, [{ spec: { tenant, ...body }, actor }], idempotencyKey);
      },

      update(ref: VirtualRegistryRef, patch: z.infer<typeof VirtualRegistryPatchSchema>, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, virtualRegistry: name } = ref;
        return run(virtualRegistryWorkflowId(tenant, name), 'virtual-registry.update', tenant, virtualRegistryUpdateWorkflow, [{ ref: { tenant, name }, patch, actor }], idempotencyKey);
      },

      remove(ref: VirtualRegistryRef, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, virtualRegistry: name } = ref;
        return run(virtualRegistryWorkflowId(tenant, name), 'virtual-registry.delete', tenant, virtualRegistryDeleteWorkflow, [{ ref: { tenant, name }, actor }], idempotencyKey);
      },

      setUpstreams(ref: VirtualRegistryRef, upstreams: z.infer<typeof UpstreamListSchema>, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, virtualRegistry: name } = ref;
        return run(virtualRegistryWorkflowId(tenant, name), 'virtual-registry.upstreams', tenant, virtualRegistryUpstreamsWorkflow, [{ ref: { tenant, name }, upstreams, actor }], idempotencyKey);
      },

      /** The registry's whole cache, or one model's part of it (`name`). */
      purgeCache(ref: VirtualRegistryRef, name: string | undefined, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, virtualRegistry } = ref;
        return run(virtualRegistryCacheWorkflowId(tenant, virtualRegistry), 'virtual-registry.cache-purge', tenant, virtualRegistryCachePurgeWorkflow, [{ tenant, virtualRegistry, ...(name ? { name } : {}), actor }], idempotencyKey);
      },

      async warm(ref: VirtualRegistryRef, body: z.infer<typeof WarmRequestSchema>, actor: Actor, idempotencyKey: string | undefined) {
        const { tenant, virtualRegistry } = ref;
        const { name, reference } = body;
        if (!(await findLiveVirtualRegistry(deps.db, tenant, virtualRegistry))) throw missingRegistry(ref);
        return run(virtualRegistryWarmWorkflowId(tenant, virtualRegistry, name, reference), 'virtual-registry.warm', tenant, virtualRegistryWarmWorkflow, [{ tenant, virtualRegistry, name, reference, actor }], idempotencyKey);
      },
    },
  };
}
export type VirtualRegistryService = ReturnType<typeof createVirtualRegistryService>;
