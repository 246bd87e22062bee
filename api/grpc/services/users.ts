import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { CreateUserRequestSchema, ListUsersRequestSchema, ListUsersResponseSchema, UserRemovalSchema, UserSchema, type UserService } from '../../../gen/modelregistry/v1/users_pb';
import type { TenantUser } from '../../../lib/users';
import { PageQuery } from '../../schemas/common';
import { UserCreateSchema, UserParams } from '../../schemas/users';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';

/** What a request names, checked like REST's path. */
const tenantOf = (req: { tenant: string }) => parseAs(UserParams.pick({ tenant: true }), { tenant: req.tenant }, 'param').tenant;
const userRef = (req: { tenant: string; username: string }) => parseAs(UserParams, { tenant: req.tenant, username: req.username }, 'param');

/** REST's roles per project (`{"p": ["developer"]}`) as the message's map of ProjectRoles. */
const userJson = (user: TenantUser) => ({ ...user, projects: Object.fromEntries(Object.entries(user.projects).map(([project, roles]) => [project, { roles }])) });

/** UserService over gRPC: the user service layer, messages in and out; no password is taken nor answered. */
export function userRpcs(services: Services): ServiceImpl<typeof UserService> {
  const users = services.users;
  return {
    async listUsers(req) {
      const tenant = tenantOf(req);
      const { limit, cursor } = requestQuery(ListUsersRequestSchema, req);
      const page = await users.list(tenant, parseAs(PageQuery, { limit, cursor }, 'query'));
      return create(ListUsersResponseSchema, { users: page.items.map((u) => toMessage(UserSchema, userJson(u))), nextPageToken: nextPageToken(page) });
    },
    async getUser(req) {
      const { tenant, username } = userRef(req);
      return toMessage(UserSchema, userJson(await users.get(tenant, username)));
    },
    async createUser(req, ctx) {
      const tenant = tenantOf(req);
      const body = requestJson(CreateUserRequestSchema, req);
      delete body.tenant; // REST's path
      return mutationMessage(await users.create(tenant, parseAs(UserCreateSchema, body), actorOf(ctx), idempotencyKeyOf(ctx)), UserSchema, userJson);
    },
    async deleteUser(req, ctx) {
      const { tenant, username } = userRef(req);
      return mutationMessage(await users.remove(tenant, username, actorOf(ctx), idempotencyKeyOf(ctx)), UserRemovalSchema);
    },
  };
}
