import { createRoute } from '@hono/zod-openapi';
import { authOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, problem } from '../schemas/common';
import { TenantCreateSchema, TenantListQuery, TenantPageSchema, TenantSchema } from '../schemas/tenants';
import type { TenantService } from '../services/tenants';
const tag = ['Tenants'];

const create = createRoute({
  method: 'post',
  path: '/tenants',
  tags: tag,
  summary: 'Create a tenant (or update it: 409 with the updated tenant)',
  request: {
    headers: IdempotencyKeyHeader,
    body: jsonBody(TenantCreateSchema),
  },
  responses: {
    201: json('Created', TenantSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    409: problem('The tenant existed: its data was updated; `tenant` holds the current tenant'),
    415: problem('Body is not JSON'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/tenants',
  tags: tag,
  summary: 'List tenants by name',
  request: { query: TenantListQuery },
  responses: {
    200: json('A page of tenants', TenantPageSchema),
    400: problem('Invalid query'),
  },
});

const getOne = createRoute({
  method: 'get',
  path: '/tenants/{name}',
  tags: tag,
  summary: 'Get a tenant',
  request: { params: NameParams },
  responses: {
    200: json('The tenant', TenantSchema),
    404: problem('No such tenant'),
  },
});


export function createTenantsRouter(deps: { tenants: TenantService }) {
  const router = createRouter();

  router.openapi(create, async (c) => {
    const mutation = await deps.tenants.create(c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (tenant) => c.json(tenant, 201));
  });

  router.openapi(list, async (c) => c.json(await deps.tenants.list(authOf(c), c.req.valid('query')), 200));

  router.openapi(getOne, async (c) => c.json(await deps.tenants.get(c.req.valid('param').name), 200));

  return router;
}
