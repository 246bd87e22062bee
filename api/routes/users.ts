import { createRoute } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { guardKeycloak } from '../keycloak-guard';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, problem } from '../schemas/common';
import { UserCreateSchema, UserPageSchema, UserParams, UserRemovalSchema, UserSchema } from '../schemas/users';
import { READ_TIMEOUT_SECONDS, type UserService } from '../services/users';

const tags = ['Users'];
const tenantParam = UserParams.pick({ tenant: true });
const userParams = UserParams;
const unconfigured = problem('Keycloak is not configured');
const readTimedOut = problem(`The read did not finish in ${READ_TIMEOUT_SECONDS} s (Keycloak or the workers not answering)`);

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
    504: readTimedOut,
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
    504: readTimedOut,
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
  summary: 'Remove the user from every group of the tenant; the account is deleted when this service created it and nothing else holds it',
  request: { params: userParams, headers: IdempotencyKeyHeader },
  responses: {
    200: json('Removed', UserRemovalSchema),
    202: acceptedResponse,
    404: problem('No such tenant, or the user is not one of its users'),
    409: problem('A change of this user is running'),
    503: unconfigured,
  },
});

/** Users and Groups controller: a tenant's Keycloak users, each read and change a workflow (api/services/users.ts). */
export function createUsersRouter(deps: { users: UserService; keycloak: boolean }) {
  const router = createRouter();
  guardKeycloak(router, '/tenants/:tenant/users', deps.keycloak);

  router.openapi(listUsers, async (c) => c.json(await deps.users.list(c.req.valid('param').tenant, c.req.valid('query')), 200));

  router.openapi(getUser, async (c) => {
    const { tenant, username } = c.req.valid('param');
    return c.json(await deps.users.get(tenant, username), 200);
  });

  router.openapi(createUser, async (c) => {
    const mutation = await deps.users.create(c.req.valid('param').tenant, c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (user) => c.json(user, 201));
  });

  router.openapi(deleteUser, async (c) => {
    const { tenant, username } = c.req.valid('param');
    const mutation = await deps.users.remove(tenant, username, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (removal) => c.json(removal, 200));
  });

  return router;
}
