import { createRoute } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { authOf } from '../auth/context';
import { findTenant, listTenants } from '../../db/queries/tenants';
import { tenantWorkflowId } from '../../lib/workflow-ids';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import { decodeCursor, pageResponse } from '../pagination';
import { type MutationDeps } from '../operations';
import { conflictProblem, invalidCursorProblem, notFoundProblem } from '../problem';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem } from '../schemas/common';
import { TenantCreateSchema, TenantPageSchema, TenantSchema } from '../schemas/tenants';
import { line } from '../../lib/text';
import { tenantUpsertWorkflow } from '../../workflows';

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
  request: { query: PageQuery.extend({ namePrefix: line().max(255).optional() }) },
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


export function createTenantsRouter(deps: { db: Db; mutations: MutationDeps }) {
  const router = createRouter();

  router.openapi(create, async (c) => {
    const body = c.req.valid('json');
    const outcome = await mutationResponse(c, deps.mutations, tenantUpsertWorkflow, {
      workflowId: tenantWorkflowId(body.name),
      args: [body],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: [
        { key: TenantName, value: body.name },
        { key: OperationKind, value: 'tenant.upsert' },
      ],
    });
    if (!outcome.done) return outcome.response;
    const { tenant, created } = outcome.result;
    if (created) return c.json(tenant, 201);
    return conflictProblem(c, 'Tenant already exists', `tenant "${tenant.name}" existed; its data was updated`, { tenant });
  });

  router.openapi(list, async (c) => {
    const { limit, cursor, namePrefix } = c.req.valid('query');
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (after === null) return invalidCursorProblem(c);
    // Tenant isolation: only the tenants the caller may read are listed, counted or paged through.
    const readable = await authOf(c).tenantsAllowed('projects.read');
    if (readable.length === 0) return c.json({ items: [], nextCursor: null }, 200);
    return c.json(pageResponse(await listTenants(deps.db, { names: readable, namePrefix, after, limit })), 200);
  });

  router.openapi(getOne, async (c) => {
    const { name } = c.req.valid('param');
    const tenant = await findTenant(deps.db, name);
    if (!tenant) return notFoundProblem(c, 'Tenant not found', `no tenant named "${name}"`);
    return c.json(tenant, 200);
  });

  return router;
}
