import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import {
  CacheRemovalSchema,
  CreateUpstreamRequestSchema,
  CreateVirtualRegistryRequestSchema,
  ListUpstreamsRequestSchema,
  ListUpstreamsResponseSchema,
  ListVirtualRegistriesRequestSchema,
  ListVirtualRegistriesResponseSchema,
  UpdateUpstreamRequestSchema,
  UpdateVirtualRegistryRequestSchema,
  UpstreamCheckSchema,
  UpstreamSchema,
  type UpstreamService,
  VirtualRegistrySchema,
  type VirtualRegistryService,
  WarmProgressSchema,
} from '../../../gen/modelregistry/v1/virtual_registries_pb';
import { PageQuery } from '../../schemas/common';
import {
  CachePurgeQuery,
  TenantParams,
  UpstreamCreateSchema,
  UpstreamListSchema,
  UpstreamParams,
  UpstreamPatchSchema,
  VirtualRegistryCreateSchema,
  VirtualRegistryParams,
  VirtualRegistryPatchSchema,
  WarmRequestSchema,
} from '../../schemas/virtual-registries';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';
import { renamingFields } from '../renamed-fields';

/** What a request names, checked like REST's path. */
const tenantOf = (req: { tenant: string }) => parseAs(TenantParams, { tenant: req.tenant }, 'param').tenant;
const upstreamRef = (req: { tenant: string; upstream: string }) => parseAs(UpstreamParams, { tenant: req.tenant, upstream: req.upstream }, 'param');
const registryRef = (req: { tenant: string; virtualRegistry: string }) => parseAs(VirtualRegistryParams, { tenant: req.tenant, virtualRegistry: req.virtualRegistry }, 'param');

/** A request's fields as REST's body: without those naming the resource (REST's path). */
function bodyOf(json: Record<string, unknown>, ...path: string[]) {
  for (const field of path) delete json[field];
  return json;
}

/** REST's list body under the request's field name, so violations name `upstreams.2.position`. */
const UpstreamsField = z.object({ upstreams: UpstreamListSchema });

/** UpstreamService over gRPC: the virtual registry service layer's upstreams; credentials in requests only. */
export function upstreamRpcs(services: Services): ServiceImpl<typeof UpstreamService> {
  const upstreams = services.virtualRegistries.upstreams;
  return {
    async listUpstreams(req) {
      const tenant = tenantOf(req);
      const query = bodyOf(requestQuery(ListUpstreamsRequestSchema, req), 'tenant');
      const page = await upstreams.list(tenant, parseAs(PageQuery, query, 'query'));
      return create(ListUpstreamsResponseSchema, { upstreams: page.items.map((u) => toMessage(UpstreamSchema, u)), nextPageToken: nextPageToken(page) });
    },
    async getUpstream(req) {
      return toMessage(UpstreamSchema, await upstreams.get(upstreamRef(req)));
    },
    async createUpstream(req, ctx) {
      const tenant = tenantOf(req);
      const body = parseAs(UpstreamCreateSchema, bodyOf(requestJson(CreateUpstreamRequestSchema, req), 'tenant'));
      return mutationMessage(await upstreams.create(tenant, body, actorOf(ctx), idempotencyKeyOf(ctx)), UpstreamSchema);
    },
    async updateUpstream(req, ctx) {
      const ref = upstreamRef(req);
      const changes = bodyOf(requestJson(UpdateUpstreamRequestSchema, req), 'tenant', 'upstream', 'updateMask');
      // `credential` named in update_mask while unset is REST's null: the credential goes.
      const removeCredential = req.credential === undefined && (req.updateMask?.paths.includes('credential') ?? false);
      const body = parseAs(UpstreamPatchSchema, { ...changes, ...(removeCredential ? { credential: null } : {}) });
      return mutationMessage(await upstreams.update(ref, body, actorOf(ctx), idempotencyKeyOf(ctx)), UpstreamSchema);
    },
    async deleteUpstream(req, ctx) {
      return mutationMessage(await upstreams.remove(upstreamRef(req), req.force, actorOf(ctx), idempotencyKeyOf(ctx)), UpstreamSchema);
    },
    async checkUpstream(req, ctx) {
      return mutationMessage(await upstreams.check(upstreamRef(req), idempotencyKeyOf(ctx)), UpstreamCheckSchema);
    },
  };
}

/** VirtualRegistryService over gRPC: the virtual registry service layer, messages in and out. */
export function virtualRegistryRpcs(services: Services): ServiceImpl<typeof VirtualRegistryService> {
  const registries = services.virtualRegistries.registries;
  return {
    async listVirtualRegistries(req) {
      const tenant = tenantOf(req);
      const query = bodyOf(requestQuery(ListVirtualRegistriesRequestSchema, req), 'tenant');
      const page = await registries.list(tenant, parseAs(PageQuery, query, 'query'));
      return create(ListVirtualRegistriesResponseSchema, { virtualRegistries: page.items.map((r) => toMessage(VirtualRegistrySchema, r)), nextPageToken: nextPageToken(page) });
    },
    async getVirtualRegistry(req) {
      return toMessage(VirtualRegistrySchema, await registries.get(registryRef(req)));
    },
    async createVirtualRegistry(req, ctx) {
      const tenant = tenantOf(req);
      const body = parseAs(VirtualRegistryCreateSchema, bodyOf(requestJson(CreateVirtualRegistryRequestSchema, req), 'tenant'));
      return mutationMessage(await registries.create(tenant, body, actorOf(ctx), idempotencyKeyOf(ctx)), VirtualRegistrySchema);
    },
    async updateVirtualRegistry(req, ctx) {
      const ref = registryRef(req);
      const body = parseAs(VirtualRegistryPatchSchema, bodyOf(requestJson(UpdateVirtualRegistryRequestSchema, req), 'tenant', 'virtualRegistry'));
      return mutationMessage(await registries.update(ref, body, actorOf(ctx), idempotencyKeyOf(ctx)), VirtualRegistrySchema);
    },
    async deleteVirtualRegistry(req, ctx) {
      return mutationMessage(await registries.remove(registryRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), VirtualRegistrySchema);
    },
    async setVirtualRegistryUpstreams(req, ctx) {
      const ref = registryRef(req);
      const { upstreams } = parseAs(UpstreamsField, { upstreams: req.upstreams.map((u) => ({ upstream: u.upstream, position: u.position })) });
      // REST's body is the list itself (`body.0.upstream`): here it is the `upstreams` field.
      const set = () => registries.setUpstreams(ref, upstreams, actorOf(ctx), idempotencyKeyOf(ctx));
      return mutationMessage(await renamingFields((field) => field.replace(/^body\.(?=\d)/, 'body.upstreams.'), set), VirtualRegistrySchema);
    },
    async purgeVirtualRegistryCache(req, ctx) {
      const ref = registryRef(req);
      const { name } = parseAs(CachePurgeQuery, { name: req.name }, 'query');
      return mutationMessage(await registries.purgeCache(ref, name, actorOf(ctx), idempotencyKeyOf(ctx)), CacheRemovalSchema);
    },
    async warmVirtualRegistry(req, ctx) {
      const ref = registryRef(req);
      const body = parseAs(WarmRequestSchema, { name: req.name, reference: req.reference });
      return mutationMessage(await registries.warm(ref, body, actorOf(ctx), idempotencyKeyOf(ctx)), WarmProgressSchema);
    },
  };
}
