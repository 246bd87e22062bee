import { createRoute, z } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
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
import type { VirtualRegistryService } from '../services/virtual-registries';

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

/** Upstreams and virtual registries of a tenant over REST: the virtual registry service layer (api/services/virtual-registries.ts). */
export function createVirtualRegistriesRouter(deps: { virtualRegistries: VirtualRegistryService }) {
  const router = createRouter();
  const { upstreams, registries } = deps.virtualRegistries;

  router.openapi(upstreamList, async (c) => c.json(await upstreams.list(c.req.valid('param').tenant, c.req.valid('query')), 200));

  router.openapi(upstreamGet, async (c) => c.json(await upstreams.get(c.req.valid('param')), 200));

  router.openapi(upstreamCreate, async (c) => {
    const mutation = await upstreams.create(c.req.valid('param').tenant, c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (upstream) => c.json(upstream, 201));
  });

  router.openapi(upstreamPatch, async (c) => {
    const mutation = await upstreams.update(c.req.valid('param'), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (upstream) => c.json(upstream, 200));
  });

  router.openapi(upstreamDelete, async (c) => {
    const mutation = await upstreams.remove(c.req.valid('param'), c.req.valid('query').force, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (upstream) => c.json(upstream, 200));
  });

  router.openapi(upstreamCheck, async (c) => {
    const mutation = await upstreams.check(c.req.valid('param'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (check) => c.json(check, 200));
  });

  router.openapi(registryList, async (c) => c.json(await registries.list(c.req.valid('param').tenant, c.req.valid('query')), 200));

  router.openapi(registryGet, async (c) => c.json(await registries.get(c.req.valid('param')), 200));

  router.openapi(registryCreate, async (c) => {
    const mutation = await registries.create(c.req.valid('param').tenant, c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (registry) => c.json(registry, 201));
  });

  router.openapi(registryPatch, async (c) => {
    const mutation = await registries.update(c.req.valid('param'), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (registry) => c.json(registry, 200));
  });

  router.openapi(registryDelete, async (c) => {
    const mutation = await registries.remove(c.req.valid('param'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (registry) => c.json(registry, 200));
  });

  router.openapi(registryCachePurge, async (c) => {
    const mutation = await registries.purgeCache(c.req.valid('param'), c.req.valid('query').name, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (removal) => c.json(removal, 200));
  });

  router.openapi(registryWarm, async (c) => {
    const mutation = await registries.warm(c.req.valid('param'), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (progress) => c.json(progress, 200));
  });

  router.openapi(registryUpstreams, async (c) => {
    const mutation = await registries.setUpstreams(c.req.valid('param'), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (registry) => c.json(registry, 200));
  });

  return router;
}
