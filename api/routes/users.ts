import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { userWorkflowId } from '../../lib/workflow-ids';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import { actorOf, type AppEnv } from '../auth/context';
import { failureToProblem, type MutationDeps } from '../operations';
import { decodeCursor, encodeCursor } from '../pagination';
import { invalidCursorProblem, problemResponse } from '../problem';
import { createRouter } from '../router';
import { guardKeycloak } from '../keycloak-guard';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, problem } from '../schemas/common';
import { UserCreateSchema, UserPageSchema, UserParams, UserRemovalSchema, UserSchema } from '../schemas/users';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import { userCreateWorkflow, userListWorkflow, userReadWorkflow, userRemoveWorkflow } from '../../workflows';

const tags = ['Users'];
const tenantParam = UserParams.pick({ tenant: true });
const userParams = UserParams;
const unconfigured = problem('Keycloak is not configured');

const listUsers = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/users',
  tags,
  summary: 'The tenant\'s users (in any of its Keycloak groups) with their tenant and project roles, by username',
  request: { params: tenantParam, query: PageQuery },
  responses: {
    200: json('A page of users', UserPageSchema),
    400: problem('Invalid query'),
    404: problem('No such tenant'),
    503: unconfigured,
  },
});
const getUser = createRoute({
  method: 'get',
  path: '/tenants/{tenant}/users/{username}',
  tags,
  summary: 'A user of the tenant with their roles per project',
  request: { params: userParams },
  responses: {
    200: json('The user', UserSchema),
    404: problem('No such tenant, or the user is not one of its users'),
    503: unconfigured,
  },
});
const createUser = createRoute({
  method: 'post',
  path: '/tenants/{tenant}/users',
  tags,
  summary: 'Create a Keycloak user in a tenant role; Keycloak asks them to set a password and verify the email',
  request: { params: tenantParam, headers: IdempotencyKeyHeader, body: jsonBody(UserCreateSchema) },
  responses: {
    201: json('Created', UserSchema),
    202: acceptedResponse,
    400: problem('Invalid body (a password is never accepted)'),
    404: problem('No such tenant'),
    409: problem('A Keycloak user with this username or email exists'),
    503: unconfigured,
  },
});
const deleteUser = createRoute({
  method: 'delete',
  path: '/tenants/{tenant}/users/{username}',
  tags,
  summary: 'Remove the user from every group of the tenant; the account is deleted when no other tenant has it',
  request: { params: userParams, headers: IdempotencyKeyHeader },
  responses: {
    200: json('Removed', UserRemovalSchema),
    202: acceptedResponse,
    404: problem('No such tenant, or the user is not one of its users'),
    409: problem('A change of this user is running'),
    503: unconfigured,
  },
});

/** Users and Groups controller: a tenant's Keycloak users, each change a workflow. */
export function createUsersRouter(deps: { mutations: MutationDeps; keycloak: boolean }) {
  const router = createRouter();
  guardKeycloak(router, '/tenants/:tenant/users', deps.keycloak);
  const searchAttributes = (tenant: string, kind: string) => [
    { key: TenantName, value: tenant },
    { key: OperationKind, value: kind },
  ];

  /** Reads run as workflows too (Keycloak is only called from activities); the same read joins a running one. */
  async function read<W extends typeof userListWorkflow | typeof userReadWorkflow>(
    c: Context<AppEnv>,
    workflowFn: W,
    workflowId: string,
    tenant: string,
    input: Parameters<W>[0],
  ): Promise<{ ok: true; value: WorkflowResultType<W> } | { ok: false; response: never }> {
    try {
      // Run as any workflow (TypeScript cannot resolve the options' `args` for a generic W); `input` is W's.
      const workflow: Workflow = workflowFn;
      const value: WorkflowResultType<W> = await deps.mutations.client.workflow.execute(workflow, {
        workflowId,
        taskQueue: deps.mutations.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowExecutionTimeout: '30 seconds',
        typedSearchAttributes: searchAttributes(tenant, 'tenant.users.read'),
      });
      return { ok: true, value };
    } catch (err) {
      const problem = failureToProblem(err);
      if (problem.status === 500) throw err;
      return { ok: false, response: problemResponse(c, problem) };
    }
  }

  router.openapi(listUsers, async (c) => {
    const { tenant } = c.req.valid('param');
    const { limit, cursor } = c.req.valid('query');
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    if (after === null) return invalidCursorProblem(c);
    const page = await read(c, userListWorkflow, `users-read:${tenant}?limit=${limit}&after=${cursor ?? ''}`, tenant, { tenant, limit, after });
    if (!page.ok) return page.response;
    const last = page.value.items.at(-1);
    return c.json({ items: page.value.items, nextCursor: page.value.more && last ? encodeCursor(last.username) : null }, 200);
  });

  router.openapi(getUser, async (c) => {
    const { tenant, username } = c.req.valid('param');
    const user = await read(c, userReadWorkflow, `user-read:${tenant}/${username}`, tenant, { tenant, username });
    if (!user.ok) return user.response;
    return c.json(user.value, 200);
  });

  router.openapi(createUser, async (c) => {
    const { tenant } = c.req.valid('param');
    const { role, ...user } = c.req.valid('json');
    const outcome = await mutationResponse(c, deps.mutations, userCreateWorkflow, {
      workflowId: userWorkflowId(user.username),
      args: [{ tenant, user, role, actor: actorOf(c) }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(tenant, 'tenant.users.create'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(deleteUser, async (c) => {
    const { tenant, username } = c.req.valid('param');
    const outcome = await mutationResponse(c, deps.mutations, userRemoveWorkflow, {
      workflowId: userWorkflowId(username),
      args: [{ tenant, username, actor: actorOf(c) }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(tenant, 'tenant.users.remove'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  return router;
}
