import { createRoute } from '@hono/zod-openapi';
import { actorOf, authOf, idempotencyKeyOf } from '../auth/context';
import { answerMutation } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, RegistryQuery, VersionParams } from '../schemas/common';
import { ApprovalSchema, PromotionCreateSchema, PromotionSchema, RemoteModelPageSchema } from '../schemas/promotions';
import type { PromotionService } from '../services/promotions';
import type { RegistryService } from '../services/registries';

const tags = ['Promotion'];
const base = '/models/{project}/{model}/versions/{tag}';
const request = { params: VersionParams, query: RegistryQuery, headers: IdempotencyKeyHeader };

const approve = createRoute({
  method: 'post',
  path: `${base}/approval`,
  tags,
  summary: 'Approve the version for promotion (models.approve; never by the account that pushed it); wakes its waiting promotions',
  request,
  responses: {
    200: json('Approved', ApprovalSchema),
    202: acceptedResponse,
    403: problem('Not allowed to approve, or the caller pushed this version'),
    404: problem('No such version'),
    409: problem('A change of its approval is running'),
  },
});
const withdraw = createRoute({
  method: 'delete',
  path: `${base}/approval`,
  tags,
  summary: "Withdraw the version's approval",
  request,
  responses: { 200: json('Withdrawn', ApprovalSchema), 202: acceptedResponse, 403: problem('Not allowed to approve'), 404: problem('No such version'), 409: problem('A change of its approval is running') },
});
const promote = createRoute({
  method: 'post',
  path: `${base}/promotions`,
  tags,
  summary: 'Promote the version to a remote registry: scan and signature gates, then an approval (waited for), a one-off Harbor push replication and the digest verified there',
  request: { ...request, body: jsonBody(PromotionCreateSchema) },
  responses: {
    200: json('The remote registry serves the version with the same digest', PromotionSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such version or remote registry'),
    409: problem('Failed gates (`failedGates`: scan, signature), no approval before the deadline, another digest under the tag there, or another promotion of it running'),
    502: problem('The replication or its verification failed (`failedStep`)'),
  },
});
const remoteModels = createRoute({
  method: 'get',
  path: '/registries/{name}/models',
  tags,
  summary: 'Model versions on a remote registry (promoted or found there), of the projects the caller may read',
  request: { params: NameParams, query: PageQuery.merge(RegistryQuery) },
  responses: { 200: json('A page of model versions', RemoteModelPageSchema), 400: problem('Invalid cursor'), 404: problem('No such remote registry') },
});

/** Approval and promotion of model versions, and where versions live on remote registries, over REST: the service layer (api/services/promotions.ts, registries.ts). */
export function createPromotionsRouter(deps: { promotions: PromotionService; remoteRegistries: RegistryService }) {
  const router = createRouter();
  const versionOf = (param: { project: string; model: string; tag: string }, query: { registry?: string }) => ({ ...param, registry: query.registry });

  router.openapi(approve, async (c) => answerMutation(c, await deps.promotions.approval(versionOf(c.req.valid('param'), c.req.valid('query')), true, actorOf(c), idempotencyKeyOf(c)), (approval) => c.json(approval, 200)));
  router.openapi(withdraw, async (c) => answerMutation(c, await deps.promotions.approval(versionOf(c.req.valid('param'), c.req.valid('query')), false, actorOf(c), idempotencyKeyOf(c)), (approval) => c.json(approval, 200)));

  router.openapi(promote, async (c) => {
    const mutation = await deps.promotions.promote(versionOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (promotion) => c.json(promotion, 200));
  });

  router.openapi(remoteModels, async (c) => {
    const q = c.req.valid('query');
    return c.json(await deps.remoteRegistries.models(authOf(c), { name: c.req.valid('param').name, registry: q.registry }, q), 200);
  });

  return router;
}
