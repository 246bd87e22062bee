import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { CreatePullTokenRequestSchema, ListPullTokensRequestSchema, ListPullTokensResponseSchema, PullTokenSchema, type PullTokenService } from '../../../gen/modelregistry/v1/pull_tokens_pb';
import type { PullTokenRecord } from '../../../db/queries/pull-tokens';
import { PageQuery } from '../../schemas/common';
import { PullTokenCreateSchema, PullTokenParams } from '../../schemas/pull-tokens';
import { TenantParams } from '../../schemas/virtual-registries';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';

const tenantOf = (req: { tenant: string }) => parseAs(TenantParams, { tenant: req.tenant }, 'param').tenant;
const tokenRef = (req: { tenant: string; pullToken: string }) => parseAs(PullTokenParams, { tenant: req.tenant, pullToken: req.pullToken }, 'param');

/** A repeated field cannot be null: REST's null list (every registry) is `all_virtual_registries`. */
const withAll = <T extends PullTokenRecord>(token: T) => ({ ...token, allVirtualRegistries: token.virtualRegistries === null });
const message = (token: PullTokenRecord) => toMessage(PullTokenSchema, withAll(token));

/** PullTokenService over gRPC: the pull token service layer, messages in and out; the token in the create answer only. */
export function pullTokenRpcs(services: Services): ServiceImpl<typeof PullTokenService> {
  const tokens = services.pullTokens;
  return {
    async listPullTokens(req) {
      const tenant = tenantOf(req);
      const { limit, cursor } = requestQuery(ListPullTokensRequestSchema, req);
      const page = await tokens.list(tenant, parseAs(PageQuery, { limit, cursor }, 'query'));
      return create(ListPullTokensResponseSchema, { pullTokens: page.items.map(message), nextPageToken: nextPageToken(page) });
    },
    async getPullToken(req) {
      return message(await tokens.get(tokenRef(req)));
    },
    async createPullToken(req, ctx) {
      const tenant = tenantOf(req);
      const body = requestJson(CreatePullTokenRequestSchema, req);
      delete body.tenant; // REST's path
      return mutationMessage(await tokens.create(tenant, parseAs(PullTokenCreateSchema, body), actorOf(ctx), idempotencyKeyOf(ctx)), PullTokenSchema, withAll);
    },
    async deletePullToken(req, ctx) {
      return mutationMessage(await tokens.revoke(tokenRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), PullTokenSchema, withAll);
    },
  };
}
