import { createRoute } from '@hono/zod-openapi';
import { actorOf, authOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, queryFlag, RegistryQuery } from '../schemas/common';
import {
  CredentialsSchema,
  PingSchema,
  RemoteRegistryCreateSchema,
  RemoteRegistryPageSchema,
  RemoteRegistryPatchSchema,
  RemoteRegistrySchema,
  RemoteRegistryWithPingSchema,
} from '../schemas/registries';
import type { RegistryService } from '../services/registries';

const params = NameParams;
const query = RegistryQuery;
const tags = ['Remote registries'];
const headers = IdempotencyKeyHeader;
const withPing = { 200: json('Changed, and pinged again', RemoteRegistryWithPingSchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: problem('No such remote registry') };

const list = createRoute({
  method: 'get',
  path: '/registries',
  tags,
  summary: "Remote registries (Harbor registry endpoints): the caller's tenants' and the shared ones",
  request: { query: PageQuery.merge(query) },
  responses: { 200: json('A page of remote registries', RemoteRegistryPageSchema) },
});
const create = createRoute({
  method: 'post',
  path: '/registries',
  tags,
  summary: 'Create a remote registry in Harbor; refused (409 naming url) when Harbor cannot reach it',
  request: { query, headers, body: jsonBody(RemoteRegistryCreateSchema) },
  responses: {
    201: json('Created and reachable', RemoteRegistryWithPingSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such tenant'),
    409: problem('A remote registry of that name exists, or Harbor cannot reach its url'),
  },
});
const getOne = createRoute({ method: 'get', path: '/registries/{name}', tags, summary: 'A remote registry', request: { params, query }, responses: { 200: json('The remote registry', RemoteRegistrySchema), 404: problem('No such remote registry') } });
const patch = createRoute({
  method: 'patch',
  path: '/registries/{name}',
  tags,
  summary: 'Change the URL, insecure flag or description; pinged again',
  request: { params, query, headers, body: jsonBody(RemoteRegistryPatchSchema) },
  responses: withPing,
});
const credentials = createRoute({
  method: 'put',
  path: '/registries/{name}/credentials',
  tags,
  summary: 'Replace the credential (write-only); pinged again',
  request: { params, query, headers, body: jsonBody(CredentialsSchema) },
  responses: withPing,
});
const remove = createRoute({
  method: 'delete',
  path: '/registries/{name}',
  tags,
  summary: 'Delete the endpoint in Harbor and archive it here; with force=true the replication rules using it first',
  request: { params, query: query.extend({ force: queryFlag().openapi({ description: "Delete the replication rules that use it first (their Harbor policies too)" }) }), headers },
  responses: { 200: json('Deleted', RemoteRegistrySchema), 202: acceptedResponse, 404: problem('No such remote registry'), 409: problem('Replication rules use it (ours: unless force=true)') },
});
const ping = createRoute({
  method: 'post',
  path: '/registries/{name}/ping',
  tags,
  summary: 'Harbor pings the remote registry now',
  request: { params, query, headers },
  responses: { 200: json('Whether Harbor reaches it', PingSchema), 202: acceptedResponse, 404: problem('No such remote registry') },
});

/** Remote registries over REST: the registry service layer (api/services/registries.ts). */
export function createRegistriesRouter(deps: { registries: RegistryService }) {
  const router = createRouter();
  const service = deps.registries;
  const nameOf = (param: { name: string }, query: { registry?: string }) => ({ name: param.name, registry: query.registry });

  router.openapi(list, async (c) => c.json(await service.list(authOf(c), c.req.valid('query')), 200));

  router.openapi(getOne, async (c) => c.json(await service.get(nameOf(c.req.valid('param'), c.req.valid('query'))), 200));

  router.openapi(create, async (c) => {
    const mutation = await service.create(authOf(c), c.req.valid('query').registry, c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (remote) => c.json(remote, 201));
  });

  router.openapi(patch, async (c) => {
    const mutation = await service.update(nameOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (remote) => c.json(remote, 200));
  });

  router.openapi(credentials, async (c) => {
    const mutation = await service.setCredentials(nameOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (remote) => c.json(remote, 200));
  });

  router.openapi(remove, async (c) => {
    const mutation = await service.remove(nameOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('query').force, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (remote) => c.json(remote, 200));
  });

  router.openapi(ping, async (c) => {
    const mutation = await service.ping(nameOf(c.req.valid('param'), c.req.valid('query')), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (result) => c.json(result, 200));
  });

  return router;
}
