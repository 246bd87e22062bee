import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import { findMembership } from '../../db/queries/membership';
import { findLiveProject } from '../../db/queries/projects';
import { PROJECT_ROLES, type MembershipChanges, type ProjectMembers } from '../../lib/membership';
import { membershipWorkflowId } from '../../lib/workflow-ids';
import { OperationKind, ProjectName } from '../../lib/search-attributes';
import type { MutationDeps } from '../operations';
import { problemBody, problemResponse, unknownRegistryProblem, validationHook } from '../problem';
import { guardKeycloak } from '../keycloak-guard';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, problem } from '../schemas/common';
import { line } from '../../lib/text';

const Usernames = z.array(line().min(1).max(255)).max(500);
const MembersSchema = z
  .object(Object.fromEntries(PROJECT_ROLES.map((role) => [role, Usernames.optional()])) as Record<(typeof PROJECT_ROLES)[number], z.ZodOptional<typeof Usernames>>)
  .strict()
  .openapi('ProjectMembersByRole', { example: { developer: ['carol'], guest: ['dave'] } });
const ChangesSchema = z
  .object({
    added: z.array(z.object({ group: z.string(), roleId: z.number().int() })),
    updated: z.array(z.object({ group: z.string(), fromRoleId: z.number().int(), toRoleId: z.number().int() })),
    removed: z.array(z.object({ group: z.string(), roleId: z.number().int() })),
    unmanaged: z.array(z.string()).openapi({ description: 'Members left alone: users, and groups outside the project\'s Keycloak groups' }),
  })
  .openapi('MembershipChanges');
const ViewSchema = z
  .object({
    keycloak: MembersSchema,
    harbor: z.array(z.object({ name: z.string(), type: z.string().openapi({ description: '`g` group, `u` user' }), roleId: z.number().int() })),
    drift: ChangesSchema.openapi({ description: 'What a sync would have changed at `observedAt`: after a sync, nothing but the unmanaged members' }),
    observedAt: z
      .string()
      .nullable()
      .openapi({ description: 'When a membership workflow (PUT, sync, the membership-sync Schedule) last observed Keycloak and Harbor; null, with empty lists, until one has' }),
  })
  .openapi('ProjectMembership');
const UpdateResultSchema = z.object({ keycloak: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }), harbor: ChangesSchema }).openapi('MembershipUpdate');

const params = z.object({ name: line().min(1).max(255) });
const query = z.object({ registry: line().max(255).optional() });
const tags = ['Members'];

const getMembers = createRoute({
  method: 'get',
  path: '/projects/{name}/members',
  tags,
  summary: 'Keycloak users per project role and Harbor\'s members, as the last membership workflow observed them',
  request: { params, query },
  responses: { 200: { description: 'The membership, from the catalogue', content: { 'application/json': { schema: ViewSchema } } }, 404: problem('No such project') },
});
const putMembers = createRoute({
  method: 'put',
  path: '/projects/{name}/members',
  tags,
  summary: 'Set the users of each project role (Keycloak groups), then sync Harbor\'s members',
  request: { params, query, headers: IdempotencyKeyHeader, body: { required: true, content: { 'application/json': { schema: z.object({ members: MembersSchema }).strict() } } } },
  responses: {
    200: { description: 'Keycloak and Harbor changed as reported', content: { 'application/json': { schema: UpdateResultSchema } } },
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
    200: { description: 'What the sync changed', content: { 'application/json': { schema: ChangesSchema } } },
    202: acceptedResponse,
    404: problem('No such project'),
    409: problem('A membership change of this project is running'),
    503: problem('Keycloak is not configured'),
  },
});

/** Project membership: Keycloak holds who has which role, Harbor's members follow by a workflow. */
export function createMembersRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; keycloak: boolean }) {
  const router = new OpenAPIHono({ defaultHook: validationHook });
  const managed = (registry: string | undefined): registry is string => registry !== undefined && deps.registries.includes(registry);
  const unknown = (c: Context, requested: string | undefined) => unknownRegistryProblem(c, deps.registries, requested, 'query.registry');
  guardKeycloak(router, '/projects/:name/members', deps.keycloak);
  const searchAttributes = (project: string, kind: string) => [
    { key: ProjectName, value: project },
    { key: OperationKind, value: kind },
  ];

  router.openapi(getMembers, async (c) => {
    const { name } = c.req.valid('param');
    const requested = c.req.valid('query').registry;
    const registry = requested ?? deps.registries[0];
    if (!managed(registry)) return unknown(c, requested);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) return problemResponse(c, problemBody(404, 'not-found', 'Project not found', `project "${name}" is not in the catalogue of ${registry}`));
    return c.json(await findMembership(deps.db, project.id), 200);
  });

  router.openapi(putMembers, async (c) => {
    const { name } = c.req.valid('param');
    const requested = c.req.valid('query').registry;
    const registry = requested ?? deps.registries[0];
    if (!managed(registry)) return unknown(c, requested);
    const members: ProjectMembers = c.req.valid('json').members;
    const outcome = await mutationResponse(c, deps.mutations, {
      workflowType: 'membershipUpdateWorkflow',
      workflowId: membershipWorkflowId(registry, name),
      args: [{ registry, project: name, members }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(name, 'project.members.update'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result as { keycloak: { added: string[]; removed: string[] }; harbor: MembershipChanges }, 200);
  });

  router.openapi(syncMembers, async (c) => {
    const { name } = c.req.valid('param');
    const requested = c.req.valid('query').registry;
    const registry = requested ?? deps.registries[0];
    if (!managed(registry)) return unknown(c, requested);
    const outcome = await mutationResponse(c, deps.mutations, {
      workflowType: 'membershipSyncWorkflow',
      workflowId: membershipWorkflowId(registry, name),
      args: [{ registry, project: name }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: searchAttributes(name, 'project.members.sync'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result as MembershipChanges, 200);
  });

  return router;
}
