import { createRoute } from '@hono/zod-openapi';
import { idempotencyKeyOf } from '../auth/context';
import { guardKeycloak } from '../keycloak-guard';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, problem, RegistryQuery } from '../schemas/common';
import { ChangesSchema, MembersPutSchema, UpdateResultSchema, ViewSchema } from '../schemas/members';
import type { MemberService } from '../services/members';

const params = NameParams;
const query = RegistryQuery;
const tags = ['Members'];

const getMembers = createRoute({
  method: 'get',
  path: '/projects/{name}/members',
  tags,
  summary: 'Keycloak users per project role and Harbor\'s members, as the last membership workflow observed them',
  request: { params, query },
  responses: { 200: json('The membership, from the catalogue', ViewSchema), 404: problem('No such project') },
});
const putMembers = createRoute({
  method: 'put',
  path: '/projects/{name}/members',
  tags,
  summary: 'Set the users of each project role (Keycloak groups), then sync Harbor\'s members',
  request: { params, query, headers: IdempotencyKeyHeader, body: jsonBody(MembersPutSchema) },
  responses: {
    200: json('Keycloak and Harbor changed as reported', UpdateResultSchema),
    202: acceptedResponse,
    400: problem('Invalid body or unknown user'),
    404: problem('No such project'),
    409: problem('A membership change of this project is running'),
    503: problem('Keycloak is not configured'),
  },
});
const syncMembers = createRoute({
  method: 'post',
  path: '/projects/{name}/members/sync',
  tags,
  summary: 'Make Harbor\'s members match the project\'s Keycloak groups now (the membership-sync Schedule does it periodically)',
  request: { params, query, headers: IdempotencyKeyHeader },
  responses: {
    200: json('What the sync changed', ChangesSchema),
    202: acceptedResponse,
    404: problem('No such project'),
    409: problem('A membership change of this project is running'),
    503: problem('Keycloak is not configured'),
  },
});

/** Project membership: Keycloak holds who has which role, Harbor's members follow by a workflow (api/services/members.ts). */
export function createMembersRouter(deps: { members: MemberService; keycloak: boolean }) {
  const router = createRouter();
  guardKeycloak(router, '/projects/:name/members', deps.keycloak);
  const refOf = (name: string, registry: string | undefined) => ({ project: name, registry });

  router.openapi(getMembers, async (c) => c.json(await deps.members.get(refOf(c.req.valid('param').name, c.req.valid('query').registry)), 200));

  router.openapi(putMembers, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const mutation = await deps.members.set(ref, c.req.valid('json').members, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (result) => c.json(result, 200));
  });

  router.openapi(syncMembers, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const mutation = await deps.members.sync(ref, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (changes) => c.json(changes, 200));
  });

  return router;
}
