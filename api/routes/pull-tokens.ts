import { createRoute } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, problem } from '../schemas/common';
import { PullTokenCreateSchema, PullTokenPageSchema, PullTokenParams, PullTokenSchema, PullTokenWithSecretSchema } from '../schemas/pull-tokens';
import { TenantParams } from '../schemas/virtual-registries';
import type { PullTokenService } from '../services/pull-tokens';

const tags = ['Pull tokens'];
const tokensPath = '/tenants/{tenant}/pull-tokens';
const tokenPath = `${tokensPath}/{pullToken}`;
const noToken = problem('No such tenant or pull token');

const list = createRoute({
  method: 'get',
  path: tokensPath,
  tags,
  summary: "A tenant's pull tokens (never the tokens themselves)",
  request: { params: TenantParams, query: PageQuery },
  responses: { 200: json('A page of pull tokens', PullTokenPageSchema), 400: problem('Invalid cursor'), 404: problem('No such tenant') },
});
const create = createRoute({
  method: 'post',
  path: tokensPath,
  tags,
  summary: "Create a pull token for the virtual registries' pull endpoint; the token is in this answer only",
  description:
    'A credential that only pulls (`models.read`) from the tenant\'s virtual registries, or the ones listed: the password of `docker login`, `skopeo`, `oras` (any username). It does not expire unless `durationDays` says so. A workflow (`pull-token:<tenant>/<name>`); when it answers 202 the token is not in that answer: once the operation is done, the same request with the same `Idempotency-Key` answers 201 with it (without a key, revoke the token and create another).',
  request: { params: TenantParams, headers: IdempotencyKeyHeader, body: jsonBody(PullTokenCreateSchema) },
  responses: {
    201: json('Created', PullTokenWithSecretSchema),
    202: acceptedResponse,
    400: problem('Invalid body (an unknown virtual registry names its entry, e.g. body.virtualRegistries.1)'),
    404: problem('No such tenant'),
    409: problem('An unrevoked pull token of that name exists'),
  },
});
const getOne = createRoute({ method: 'get', path: tokenPath, tags, summary: 'A pull token (never the token itself)', request: { params: PullTokenParams }, responses: { 200: json('The pull token', PullTokenSchema), 404: noToken } });
const revoke = createRoute({
  method: 'delete',
  path: tokenPath,
  tags,
  summary: 'Revoke a pull token: the next pull with it is refused (401)',
  request: { params: PullTokenParams, headers: IdempotencyKeyHeader },
  responses: { 200: json('Revoked', PullTokenSchema), 202: acceptedResponse, 404: noToken },
});

/** A tenant's pull tokens over REST: the pull token service layer (api/services/pull-tokens.ts). */
export function createPullTokensRouter(deps: { pullTokens: PullTokenService }) {
  const router = createRouter();

  router.openapi(list, async (c) => c.json(await deps.pullTokens.list(c.req.valid('param').tenant, c.req.valid('query')), 200));

  router.openapi(getOne, async (c) => c.json(await deps.pullTokens.get(c.req.valid('param')), 200));

  router.openapi(create, async (c) => {
    const mutation = await deps.pullTokens.create(c.req.valid('param').tenant, c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (created) => c.json(created, 201));
  });

  router.openapi(revoke, async (c) => {
    const mutation = await deps.pullTokens.revoke(c.req.valid('param'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (revoked) => c.json(revoked, 200));
  });

  return router;
}
