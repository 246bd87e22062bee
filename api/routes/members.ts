import { createRoute } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findMembership } from '../../db/queries/membership';
import { findLiveProject } from '../../db/queries/projects';
import type { ProjectMembers } from '../../lib/membership';
import { membershipWorkflowId } from '../../lib/workflow-ids';
import { OperationKind, ProjectName } from '../../lib/search-attributes';
import type { MutationDeps } from '../operations';
import { notFoundProblem } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { guardKeycloak } from '../keycloak-guard';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, problem, RegistryQuery } from '../schemas/common';
import { ChangesSchema, MembersPutSchema, UpdateResultSchema, ViewSchema } from '../schemas/members';
import { membershipSyncWorkflow, membershipUpdateWorkflow } from '../../workflows';

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

/** Project membership: Keycloak holds who has which role, Harbor's members follow by a workflow. */
export function createMembersRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; keycloak: boolean }) {
  const router = createRouter();
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  guardKeycloak(router, '/projects/:name/members', deps.keycloak);
  const searchAttributes = (project: string, kind: string) => [
    { key: ProjectName, value: project },
    { key: OperationKind, value: kind },
  ];

  router.openapi(getMembers, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) return notFoundProblem(c, 'Project not found', `project "${name}" is not in the catalogue of ${registry}`);
    return c.json(await findMembership(deps.db, project.id), 200);
  });

  router.openapi(putMembers, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const members: ProjectMembers = c.req.valid('json').members;
    const outcome = await mutationResponse(c, deps.mutations, membershipUpdateWorkflow, {
      workflowId: membershipWorkflowId(registry, name),
      args: [{ registry, project: name, members }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(name, 'project.members.update'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(syncMembers, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const outcome = await mutationResponse(c, deps.mutations, membershipSyncWorkflow, {
      workflowId: membershipWorkflowId(registry, name),
      args: [{ registry, project: name }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(name, 'project.members.sync'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  return router;
}
