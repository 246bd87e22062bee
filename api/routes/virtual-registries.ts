import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findTenant } from '../../db/queries/tenants';
import { findLiveUpstream, findLiveVirtualRegistry, listUpstreams, listVirtualRegistries } from '../../db/queries/virtual-registries';
import type { SecretBox } from '../../lib/secrets';
import { OperationKind, TenantName } from '../../lib/search-attributes';
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
import { actorOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem } from '../problem';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, problem, queryFlag } from '../schemas/common';
import {
  CachePurgeQuery,
  CacheRemovalSchema,
  TenantParams,
  UpstreamCheckSchema,
  UpstreamCreateSchema,
  UpstreamListSchema,
  UpstreamPageSchema,
  UpstreamParams,
  UpstreamPatchSchema,
  UpstreamSchema,
  VirtualRegistryCreateSchema,
  VirtualRegistryPageSchema,
  VirtualRegistryParams,
  VirtualRegistryPatchSchema,
  VirtualRegistrySchema,
  WarmProgressSchema,
  WarmRequestSchema,
} from '../schemas/virtual-registries';

const headers = IdempotencyKeyHeader;
const upstreamTags = ['Upstreams'];
const registryTags = ['Virtual registries'];
const upstreamsPath = '/tenants/{tenant}/upstreams';
const upstreamPath = `${upstreamsPath}/{upstream}`;
const registriesPath = '/tenants/{tenant}/virtual-registries';
const registryPath = `${registriesPath}/{virtualRegistry}`;
const noUpstream = problem('No such tenant or upstream');
const noRegistry = problem('No such tenant or virtual registry');

const upstreamList = createRoute({ method: 'get', path: upstreamsPath, tags: upstreamTags, summary: "A tenant's upstreams (remote OCI registries virtual registries pull from)", request: { params: TenantParams, query: PageQuery }, responses: { 200: json('A page of upstreams', UpstreamPageSchema), 400: problem('Invalid cursor'), 404: problem('No such tenant') } });
const upstreamCreate = createRoute({
  method: 'post',
  path: upstreamsPath,
  tags: upstreamTags,
  summary: 'Create an upstream; its credential is sealed before anything else sees it',
  request: { params: TenantParams, headers, body: jsonBody(UpstreamCreateSchema) },
  responses: { 201: json('Created', UpstreamSchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: problem('No such tenant'), 409: problem('An upstream of that name exists') },
});
const upstreamGet = createRoute({ method: 'get', path: upstreamPath, tags: upstreamTags, summary: 'An upstream', request: { params: UpstreamParams }, responses: { 200: json('The upstream', UpstreamSchema), 404: noUpstream } });
const upstreamPatch = createRoute({
  method: 'patch',
  path: upstreamPath,
  tags: upstreamTags,
  summary: 'Change the URL, cache validity, description or credential (null removes it)',
  request: { params: UpstreamParams, headers, body: jsonBody(UpstreamPatchSchema) },
  responses: { 200: json('Changed', UpstreamSchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: noUpstream },
});
const upstreamDelete = createRoute({
  method: 'delete',
  path: upstreamPath,
  tags: upstreamTags,
  summary: 'Delete an upstream; refused while a virtual registry uses it, unless force=true (which takes it out of their lists)',
  request: { params: UpstreamParams, query: z.object({ force: queryFlag().openapi({ description: 'Take it out of the virtual registries that use it' }) }), headers },
  responses: { 200: json('Deleted', UpstreamSchema), 202: acceptedResponse, 404: noUpstream, 409: problem('Virtual registries use it (named in `virtualRegistries`)') },
});
const upstreamCheck = createRoute({
  method: 'post',
  path: `${upstreamPath}/check`,
  tags: upstreamTags,
  summary: "Reach the upstream's /v2/ with its credential now: reachability, authentication, latency",
  request: { params: UpstreamParams, headers },
  responses: { 200: json('What the check saw', UpstreamCheckSchema), 202: acceptedResponse, 404: noUpstream },
});

const registryList = createRoute({ method: 'get', path: registriesPath, tags: registryTags, summary: "A tenant's virtual registries, each with its ordered upstreams", request: { params: TenantParams, query: PageQuery }, responses: { 200: json('A page of virtual registries', VirtualRegistryPageSchema), 400: problem('Invalid cursor'), 404: problem('No such tenant') } });
const registryCreate = createRoute({
  method: 'post',
  path: registriesPath,
  tags: registryTags,
  summary: 'Create a virtual registry (its upstreams are set with PUT …/upstreams)',
  request: { params: TenantParams, headers, body: jsonBody(VirtualRegistryCreateSchema) },
  responses: { 201: json('Created', VirtualRegistrySchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: problem('No such tenant'), 409: problem('A virtual registry of that name exists') },
});
const registryGet = createRoute({ method: 'get', path: registryPath, tags: registryTags, summary: 'A virtual registry', request: { params: VirtualRegistryParams }, responses: { 200: json('The virtual registry', VirtualRegistrySchema), 404: noRegistry } });
const registryPatch = createRoute({
  method: 'patch',
  path: registryPath,
  tags: registryTags,
  summary: 'Change the description',
  request: { params: VirtualRegistryParams, headers, body: jsonBody(VirtualRegistryPatchSchema) },
  responses: { 200: json('Changed', VirtualRegistrySchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: noRegistry },
});
const registryDelete = createRoute({
  method: 'delete',
  path: registryPath,
  tags: registryTags,
  summary: 'Delete a virtual registry (its upstreams stay)',
  request: { params: VirtualRegistryParams, headers },
  responses: { 200: json('Deleted', VirtualRegistrySchema), 202: acceptedResponse, 404: noRegistry },
});
const registryCachePurge = createRoute({
  method: 'delete',
  path: `${registryPath}/cache`,
  tags: registryTags,
  summary: "Purge a virtual registry's cache, or one model's part of it",
  description:
    "Removes the cache entries of the registry's upstreams (shared by every virtual registry that uses them) and the stored objects no other entry needs; the next pull fetches from the upstreams again. A workflow (`virtual-registry-cache:<tenant>/<registry>`): 202 with the operation when it takes longer than the wait.",
  request: { params: VirtualRegistryParams, query: CachePurgeQuery, headers },
  responses: { 200: json('Purged', CacheRemovalSchema), 202: acceptedResponse, 404: noRegistry },
});
const registryWarm = createRoute({
  method: 'post',
  path: `${registryPath}/warm`,
  tags: registryTags,
  summary: 'Prefetch a model version into the cache',
  description:
    "Fetches the version's manifest (an index's manifests too) and every blob it names from the first upstream that has it, as a pull would, so later pulls are cache hits. A workflow (`virtual-registry-warm:<tenant>/<registry>/<name>@<reference>`): 202 with the operation, whose `progress` (blobs and bytes done of the total, the blob being fetched) shows how far it is; 200 with the final progress when it ends within the wait. A version no upstream has is a 404 problem on the operation; an upstream that stays down fails it after a few attempts.",
  request: { params: VirtualRegistryParams, headers, body: jsonBody(WarmRequestSchema) },
  responses: { 200: json('Warmed', WarmProgressSchema), 202: acceptedResponse, 400: problem('Invalid name or reference'), 404: noRegistry },
});
const registryUpstreams = createRoute({
  method: 'put',
  path: `${registryPath}/upstreams`,
  tags: registryTags,
  summary: 'Set the whole ordered list of upstreams at once (positions 1–5, each upstream and position once, the tenant\'s own upstreams)',
  request: { params: VirtualRegistryParams, headers, body: jsonBody(UpstreamListSchema) },
  responses: { 200: json('The virtual registry with its new list', VirtualRegistrySchema), 202: acceptedResponse, 400: problem('Invalid list, naming the entry (e.g. body.2.position)'), 404: noRegistry },
});

/** Upstreams and virtual registries of a tenant: writes by workflows, reads from the catalogue; credentials sealed here, never shown. */
export function createVirtualRegistriesRouter(deps: { db: Db; mutations: MutationDeps; secrets: SecretBox }) {
  const router = createRouter();
  const run = <W extends Workflow>(c: Context, workflowId: string, kind: string, tenant: string, workflowFn: W, args: Parameters<W>) =>
    mutationResponse(c, deps.mutations, workflowFn, {
      workflowId,
      args,
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: kind }],
    });
  const seal = (credential: { kind: 'basic'; username: string; password: string }): SealedUpstreamCredential => ({ kind: credential.kind, username: credential.username, sealedSecret: deps.secrets.seal(credential.password) });
  const afterOf = (cursor: string | undefined) => (cursor === undefined ? undefined : decodeCursor(cursor));
  const missingTenant = (c: Context, tenant: string) => notFoundProblem(c, 'Tenant not found', `no tenant named "${tenant}"`);

  router.openapi(upstreamList, async (c) => {
    const { tenant } = c.req.valid('param');
    const q = c.req.valid('query');
    const after = afterOf(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listUpstreams(deps.db, tenant, { after, limit: q.limit })), 200);
  });

  router.openapi(upstreamGet, async (c) => {
    const { tenant, upstream } = c.req.valid('param');
    const found = await findLiveUpstream(deps.db, tenant, upstream);
    if (!found) return notFoundProblem(c, 'Upstream not found', `no upstream "${upstream}" in tenant ${tenant}`);
    return c.json(found, 200);
  });

  router.openapi(upstreamCreate, async (c) => {
    const { tenant } = c.req.valid('param');
    const { credential, ...body } = c.req.valid('json');
    if (!(await findTenant(deps.db, tenant))) return missingTenant(c, tenant);
    const spec = { tenant, ...body, ...(credential ? { credential: seal(credential) } : {}) };
    const outcome = await run(c, upstreamWorkflowId(tenant, body.name), 'upstream.create', tenant, upstreamCreateWorkflow, [{ spec, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(upstreamPatch, async (c) => {
    const { tenant, upstream: name } = c.req.valid('param');
    const { credential, ...fields } = c.req.valid('json');
    const patch = { ...fields, ...(credential === undefined ? {} : { credential: credential === null ? null : seal(credential) }) };
    const outcome = await run(c, upstreamWorkflowId(tenant, name), 'upstream.update', tenant, upstreamUpdateWorkflow, [{ ref: { tenant, name }, patch, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(upstreamDelete, async (c) => {
    const { tenant, upstream: name } = c.req.valid('param');
    const { force } = c.req.valid('query');
    const outcome = await run(c, upstreamWorkflowId(tenant, name), 'upstream.delete', tenant, upstreamDeleteWorkflow, [{ ref: { tenant, name }, actor: actorOf(c), ...(force ? { force } : {}) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(upstreamCheck, async (c) => {
    const { tenant, upstream: name } = c.req.valid('param');
    const outcome = await run(c, upstreamCheckWorkflowId(tenant, name), 'upstream.check', tenant, upstreamCheckWorkflow, [{ tenant, name }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(registryList, async (c) => {
    const { tenant } = c.req.valid('param');
    const q = c.req.valid('query');
    const after = afterOf(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listVirtualRegistries(deps.db, tenant, { after, limit: q.limit })), 200);
  });

  router.openapi(registryGet, async (c) => {
    const { tenant, virtualRegistry: registry } = c.req.valid('param');
    const found = await findLiveVirtualRegistry(deps.db, tenant, registry);
    if (!found) return notFoundProblem(c, 'Virtual registry not found', `no virtual registry "${registry}" in tenant ${tenant}`);
    return c.json(found, 200);
  });

  router.openapi(registryCreate, async (c) => {
    const { tenant } = c.req.valid('param');
    const body = c.req.valid('json');
    if (!(await findTenant(deps.db, tenant))) return missingTenant(c, tenant);
    const outcome = await run(c, virtualRegistryWorkflowId(tenant, body.name), 'virtual-registry.create', tenant, virtualRegistryCreateWorkflow, [{ spec: { tenant, ...body }, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(registryPatch, async (c) => {
    const { tenant, virtualRegistry: name } = c.req.valid('param');
    const outcome = await run(c, virtualRegistryWorkflowId(tenant, name), 'virtual-registry.update', tenant, virtualRegistryUpdateWorkflow, [{ ref: { tenant, name }, patch: c.req.valid('json'), actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(registryDelete, async (c) => {
    const { tenant, virtualRegistry: name } = c.req.valid('param');
    const outcome = await run(c, virtualRegistryWorkflowId(tenant, name), 'virtual-registry.delete', tenant, virtualRegistryDeleteWorkflow, [{ ref: { tenant, name }, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(registryCachePurge, async (c) => {
    const { tenant, virtualRegistry } = c.req.valid('param');
    const { name } = c.req.valid('query');
    const outcome = await run(c, virtualRegistryCacheWorkflowId(tenant, virtualRegistry), 'virtual-registry.cache-purge', tenant, virtualRegistryCachePurgeWorkflow, [{ tenant, virtualRegistry, ...(name ? { name } : {}), actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(registryWarm, async (c) => {
    const { tenant, virtualRegistry } = c.req.valid('param');
    const { name, reference } = c.req.valid('json');
    if (!(await findLiveVirtualRegistry(deps.db, tenant, virtualRegistry))) return notFoundProblem(c, 'Virtual registry not found', `no virtual registry "${virtualRegistry}" in tenant ${tenant}`);
    const outcome = await run(c, virtualRegistryWarmWorkflowId(tenant, virtualRegistry, name, reference), 'virtual-registry.warm', tenant, virtualRegistryWarmWorkflow, [{ tenant, virtualRegistry, name, reference, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(registryUpstreams, async (c) => {
    const { tenant, virtualRegistry: name } = c.req.valid('param');
    const outcome = await run(c, virtualRegistryWorkflowId(tenant, name), 'virtual-registry.upstreams', tenant, virtualRegistryUpstreamsWorkflow, [{ ref: { tenant, name }, upstreams: c.req.valid('json'), actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  return router;
}
