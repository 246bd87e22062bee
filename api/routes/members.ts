import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { ApplicationFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import type { Context } from 'hono';
import { PROJECT_ROLES, type ProjectMembers } from '../../lib/membership';
import { membershipWorkflowId } from '../../workflows/ids';
import type { MembershipChanges, MembershipView } from '../../workflows/membership';
import { OperationKind, ProjectName } from '../../workflows/search-attributes';
import { failureToProblem, type MutationDeps } from '../operations';
import { notConfiguredProblem, problemBody, problemResponse, unknownRegistryProblem, validationHook } from '../problem';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, problem } from '../schemas/common';

const Usernames = z.array(z.string().min(1).max(255)).max(500);
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
  .object({ keycloak: MembersSchema, harbor: z.array(z.object({ name: z.string(), type: z.string(), roleId: z.number().int() })), drift: ChangesSchema })
  .openapi('ProjectMembership');
const UpdateResultSchema = z.object({ keycloak: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }), harbor: ChangesSchema }).openapi('MembershipUpdate');

const params = z.object({ name: z.string().min(1).max(255) });
const query = z.object({ registry: z.string().max(255).optional() });
const tags = ['Members'];

const getMembers = createRoute({
  method: 'get',
  path: '/projects/{name}/members',
  tags,
  summary: 'Keycloak users per project role, Harbor\'s members, and the drift a sync would fix',
  request: { params, query },
  responses: { 200: { description: 'The membership', content: { 'application/json': { schema: ViewSchema } } }, 404: problem('No such project'), 503: problem('Keycloak is not configured') },
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

export const keycloakMissing = (c: Context) => notConfiguredProblem(c, 'Keycloak', 'KEYCLOAK_URL (and KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)');

/** Project membership: Keycloak holds who has which role, Harbor's members follow by a workflow. */
export function createMembersRouter(deps: { mutations: MutationDeps; registries: string[]; keycloak: boolean }) {
  const router = new OpenAPIHono({ defaultHook: validationHook });
  const managed = (registry: string | undefined): registry is string => registry !== undefined && deps.registries.includes(registry);
  const unknown = (c: Context, requested: string | undefined) => unknownRegistryProblem(c, deps.registries, requested, 'query.registry');
  // Without Keycloak (the light stack) nothing is started: the workflow could only fail.
  router.use('/projects/:name/members', async (c, next) => (deps.keycloak ? next() : keycloakMissing(c)));
  router.use('/projects/:name/members/*', async (c, next) => (deps.keycloak ? next() : keycloakMissing(c)));
  const searchAttributes = (project: string, kind: string) => [
    { key: ProjectName, value: project },
    { key: OperationKind, value: kind },
  ];

  router.openapi(getMembers, async (c) => {
    const { name } = c.req.valid('param');
    const requested = c.req.valid('query').registry;
    const registry = requested ?? deps.registries[0];
    if (!managed(registry)) return unknown(c, requested);
    try {
      const view = await deps.mutations.client.workflow.execute('membershipReadWorkflow', {
        workflowId: `membership-read:${registry}/${name}`,
        taskQueue: deps.mutations.taskQueue,
        args: [{ registry, project: name }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowExecutionTimeout: '30 seconds',
        typedSearchAttributes: searchAttributes(name, 'project.members.read'),
      });
      return c.json(view as MembershipView, 200);
    } catch (err) {
      const cause = err instanceof WorkflowFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === 'NotFound') return problemResponse(c, problemBody(404, 'not-found', 'Project not found', cause.message));
      // An activity's failure arrives wrapped in an ActivityFailure: the same mapping as mutations.
      const problem = failureToProblem(err);
      if (problem.status !== 500) return problemResponse(c, problem);
      throw err;
    }
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
