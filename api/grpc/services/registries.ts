import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import {
  CreateRegistryRequestSchema,
  ListRegistriesRequestSchema,
  ListRegistriesResponseSchema,
  ListRegistryModelsRequestSchema,
  ListRegistryModelsResponseSchema,
  RegistryPingSchema,
  type RegistryService,
  RemoteModelVersionSchema,
  RemoteRegistrySchema,
  SetRegistryCredentialsRequestSchema,
  UpdateRegistryRequestSchema,
} from '../../../gen/modelregistry/v1/registries_pb';
import { NameParams, PageQuery, RegistryQuery } from '../../schemas/common';
import { CredentialsSchema, RemoteRegistryCreateSchema, RemoteRegistryPatchSchema } from '../../schemas/registries';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, authOf, idempotencyKeyOf } from '../context';

const optional = (s: string) => (s === '' ? undefined : s);

/** The remote registry a request names, checked like REST's path. */
const nameOf = (req: { name: string; registry: string }) => ({ ...parseAs(NameParams, { name: req.name }, 'param'), registry: optional(req.registry) });

/** A request's fields as REST's body: without those REST has in its path and query. */
function bodyOf(json: Record<string, unknown>, ...path: string[]) {
  for (const field of path) delete json[field];
  return json;
}

/** REST's credentials body under the request's field name, so violations name `credential.access_secret`. */
const CredentialField = z.object({ credential: CredentialsSchema });

/** RegistryService over gRPC: the registry service layer, messages in and out; credentials in requests only. */
export function registryRpcs(services: Services): ServiceImpl<typeof RegistryService> {
  const remotes = services.remoteRegistries;
  return {
    async listRegistries(req, ctx) {
      const query = requestQuery(ListRegistriesRequestSchema, req);
      const q = parseAs(PageQuery.merge(RegistryQuery), query, 'query');
      const page = await remotes.list(authOf(ctx), q);
      return create(ListRegistriesResponseSchema, { registries: page.items.map((r) => toMessage(RemoteRegistrySchema, r)), nextPageToken: nextPageToken(page) });
    },
    async getRegistry(req) {
      return toMessage(RemoteRegistrySchema, await remotes.get(nameOf(req)));
    },
    async createRegistry(req, ctx) {
      const body = parseAs(RemoteRegistryCreateSchema, bodyOf(requestJson(CreateRegistryRequestSchema, req), 'registry'));
      return mutationMessage(await remotes.create(authOf(ctx), optional(req.registry), body, actorOf(ctx), idempotencyKeyOf(ctx)), RemoteRegistrySchema);
    },
    async updateRegistry(req, ctx) {
      const ref = nameOf(req);
      const patch = parseAs(RemoteRegistryPatchSchema, bodyOf(requestJson(UpdateRegistryRequestSchema, req), 'name', 'registry'));
      return mutationMessage(await remotes.update(ref, patch, actorOf(ctx), idempotencyKeyOf(ctx)), RemoteRegistrySchema);
    },
    async setRegistryCredentials(req, ctx) {
      const ref = nameOf(req);
      const { credential } = parseAs(CredentialField, { credential: requestJson(SetRegistryCredentialsRequestSchema, req).credential ?? {} });
      return mutationMessage(await remotes.setCredentials(ref, credential, actorOf(ctx), idempotencyKeyOf(ctx)), RemoteRegistrySchema);
    },
    async deleteRegistry(req, ctx) {
      return mutationMessage(await remotes.remove(nameOf(req), req.force, actorOf(ctx), idempotencyKeyOf(ctx)), RemoteRegistrySchema);
    },
    async pingRegistry(req, ctx) {
      return mutationMessage(await remotes.ping(nameOf(req), idempotencyKeyOf(ctx)), RegistryPingSchema);
    },
    async listRegistryModels(req, ctx) {
      const query = requestQuery(ListRegistryModelsRequestSchema, req);
      const page = await remotes.models(authOf(ctx), nameOf(req), parseAs(PageQuery, { limit: query.limit, cursor: query.cursor }, 'query'));
      return create(ListRegistryModelsResponseSchema, { versions: page.items.map((v) => toMessage(RemoteModelVersionSchema, v)), nextPageToken: nextPageToken(page) });
    },
  };
}
