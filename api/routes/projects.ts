import { createRoute, type z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findProject, listProjects, type ProjectSettings } from '../../db/queries/projects';
import { robotFullNameTooLong } from '../../lib/names';
import type { SecretBox } from '../../lib/secrets';
import { line } from '../../lib/text';
import { projectWorkflowId } from '../../lib/workflow-ids';
import type {
  ProjectDeleteInput,
  ProjectOnboardingInput,
  ProjectRegistrationInput,
  ProjectUpdateInput,
} from '../../workflows/projects';
import { projectDeleteWorkflow, projectOnboardingWorkflow, projectRegistrationWorkflow, projectUpdateWorkflow } from '../../workflows';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { actorOf, authOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeSortKey, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, validationProblem } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, queryFlag, RegistryQuery, SortQuery } from '../schemas/common';
import {
  ProjectCreatedSchema,
  ProjectCreateSchema,
  ProjectDetailSchema,
  ProjectPageSchema,
  ProjectPatchSchema,
  ProjectRegisteredSchema,
  ProjectRegisterSchema,
  ProjectSchema,
  ROLE_IDS,
} from '../schemas/projects';

const tag = ['Projects'];

/** Defaults for a new project's Harbor security settings (the service design: scanning and signing on). */
export const DEFAULT_SETTINGS: ProjectSettings = { autoScan: true, contentTrustCosign: true, preventVulnerable: true, severity: 'high' };

const onboard = createRoute({
  method: 'post',
  path: '/projects',
  tags: tag,
  summary: 'Onboard a project: Harbor project, members, webhook, optional robot, catalogue row',
  request: { headers: IdempotencyKeyHeader, body: jsonBody(ProjectCreateSchema) },
  responses: {
    201: json('Onboarded', ProjectCreatedSchema),
    202: acceptedResponse,
    400: problem('Invalid body or unknown registry'),
    404: problem('Unknown tenant'),
    409: problem('The project exists in the catalogue or in Harbor, or its onboarding is running'),
    415: problem('Body is not JSON'),
    502: problem('Harbor (or another system) failed for good; completed steps were undone'),
  },
});

const list = createRoute({
  method: 'get',
  path: '/projects',
  tags: tag,
  summary: 'List projects',
  request: {
    query: PageQuery.extend({
      tenantId: line().max(255).optional(),
      namePrefix: line().max(255).optional(),
      archived: queryFlag(),
      registry: line().max(255).optional(),
      sort: SortQuery,
    }),
  },
  responses: { 200: json('A page of projects', ProjectPageSchema), 400: problem('Invalid query') },
});

const getOne = createRoute({
  method: 'get',
  path: '/projects/{name}',
  tags: tag,
  summary: 'Get a project',
  request: { params: NameParams, query: RegistryQuery },
  responses: { 200: json('The catalogue row, with Harbor\'s quota and repository count as last fetched by a workflow', ProjectDetailSchema), 404: problem('No such project') },
});

const register = createRoute({
  method: 'put',
  path: '/projects',
  tags: tag,
  summary: 'Register an existing Harbor project: reset its settings, members and webhook to ours, import its models',
  request: { headers: IdempotencyKeyHeader, body: jsonBody(ProjectRegisterSchema) },
  responses: {
    200: json('Registered (created or updated in the catalogue)', ProjectRegisteredSchema),
    202: acceptedResponse,
    400: problem('Invalid body or unknown registry'),
    404: problem('Unknown tenant, or no such project in Harbor'),
    409: problem('Another operation on this project is running'),
    502: problem('Harbor failed for good'),
  },
});

const patch = createRoute({
  method: 'patch',
  path: '/projects/{name}',
  tags: tag,
  summary: 'Change description, visibility, settings, quota or members (applied to Harbor and the catalogue)',
  request: { params: NameParams, query: RegistryQuery, headers: IdempotencyKeyHeader, body: jsonBody(ProjectPatchSchema) },
  responses: {
    200: json('Changed', ProjectSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such project'),
    409: problem('Another operation on this project is running'),
    502: problem('Harbor failed for good'),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/projects/{name}',
  tags: tag,
  summary: 'Archive a project (soft delete); purge=true deletes it in Harbor too',
  request: {
    params: NameParams,
    query: RegistryQuery.extend({
      purge: queryFlag(),
      force: queryFlag().openapi({ description: 'With purge: delete its artifacts too' }),
    }),
    headers: IdempotencyKeyHeader,
  },
  responses: {
    200: json('Archived (and purged)', ProjectSchema),
    202: acceptedResponse,
    404: problem('No such project'),
    409: problem('Harbor still holds artifacts (use force=true), or another operation is running'),
    502: problem('Harbor failed for good'),
  },
});

/** The workflow input shared by onboarding and registration, from the request body. */
function registrationInput(body: z.infer<typeof ProjectRegisterSchema>, registry: string): ProjectRegistrationInput {
  return {
    registry,
    name: body.name,
    displayName: body.display_name,
    description: body.description ?? null,
    public: body.public,
    tenantId: body.tenantId,
    storageLimit: body.storage_limit ?? null,
    settings: { ...DEFAULT_SETTINGS, ...body.settings },
    members: body.members.map((m) => ({ group: m.group, roleId: ROLE_IDS[m.role] })),
  };
}

/** Search attributes of a project operation. */
const projectAttributes = (tenantId: string, name: string, kind: string) => [
  { key: TenantName, value: tenantId },
  { key: ProjectName, value: name },
  { key: OperationKind, value: kind },
];

export function createProjectsRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; secrets: SecretBox }) {
  const router = createRouter();
  const registryOf = (requested: string | undefined, field?: string) => managedRegistry(deps.registries, requested, field);

  router.openapi(onboard, async (c) => {
    const body = c.req.valid('json');
    const registry = registryOf(body.registry, 'body.registry');
    const robot = body.robot === undefined || body.robot === false ? null : { name: (body.robot === true ? undefined : body.robot.name) ?? 'ci', durationDays: (body.robot === true ? undefined : body.robot.durationDays) ?? 90 };
    const robotTooLong = robot && robotFullNameTooLong(body.name, robot.name);
    if (robotTooLong) return validationProblem(c, [{ field: typeof body.robot === 'object' && body.robot.name !== undefined ? 'body.robot.name' : 'body.robot', message: robotTooLong, code: 'too_big' }]);
    const replications = (body.replications ?? []).map(({ registry: remoteRegistry, bandwidthKbps, ...rule }) => ({ ...rule, registry, project: body.name, remoteRegistry, speedKbps: bandwidthKbps }));
    const input: ProjectOnboardingInput = { ...registrationInput(body, registry), robot, ...(replications.length > 0 ? { replications, actor: actorOf(c) } : {}) };
    const outcome = await mutationResponse(c, deps.mutations, projectOnboardingWorkflow, {
      workflowId: projectWorkflowId(registry, body.name),
      args: [input],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: projectAttributes(body.tenantId, body.name, 'project.onboard'),
    });
    if (!outcome.done) return outcome.response;
    const { project, robot: created } = outcome.result;
    const revealed = created ? { robot: { name: created.name, secret: deps.secrets.open(created.sealedSecret), expiresAt: created.expiresAt } } : {};
    return c.json({ ...project, ...revealed }, 201);
  });

  router.openapi(register, async (c) => {
    const body = c.req.valid('json');
    const registry = registryOf(body.registry, 'body.registry');
    const input = registrationInput(body, registry);
    const outcome = await mutationResponse(c, deps.mutations, projectRegistrationWorkflow, {
      workflowId: projectWorkflowId(registry, body.name),
      args: [input],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: projectAttributes(body.tenantId, body.name, 'project.register'),
    });
    if (!outcome.done) return outcome.response;
    return c.json({ ...outcome.result.project, imported: outcome.result.imported }, 200);
  });

  router.openapi(patch, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const body = c.req.valid('json');
    const input: ProjectUpdateInput = {
      registry,
      name,
      displayName: body.display_name,
      description: body.description,
      public: body.public,
      storageLimit: body.storage_limit,
      settings: body.settings,
      members: body.members?.map((m) => ({ group: m.group, roleId: ROLE_IDS[m.role] })),
    };
    const outcome = await mutationResponse(c, deps.mutations, projectUpdateWorkflow, {
      workflowId: projectWorkflowId(registry, name),
      args: [input],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: [
        { key: ProjectName, value: name },
        { key: OperationKind, value: 'project.update' },
      ],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const registry = registryOf(q.registry);
    const input: ProjectDeleteInput = { registry, name, purge: q.purge, force: q.force, actor: actorOf(c) };
    const outcome = await mutationResponse(c, deps.mutations, projectDeleteWorkflow, {
      workflowId: projectWorkflowId(registry, name),
      args: [input],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: [
        { key: ProjectName, value: name },
        { key: OperationKind, value: q.purge ? 'project.purge' : 'project.archive' },
      ],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    // A filter by a registry this server does not manage is a mistake, not an empty page.
    if (q.registry !== undefined) registryOf(q.registry);
    const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    // Tenant isolation: only projects of tenants the caller may read; per-project rules (public/private) below.
    const auth = authOf(c);
    const readable = await auth.tenantsAllowed('projects.read');
    if (readable.length === 0) return c.json({ items: [], nextCursor: null }, 200);
    const page = await listProjects(deps.db, { ...q, tenants: readable, after });
    // The cursor follows the page as read, so a project hidden here never shifts the next page.
    const visible = await Promise.all(page.items.map((p) => auth.can('projects.read', { tenant: p.tenantId, accessType: p.public ? 'public' : 'private' })));
    return c.json(pageResponse({ ...page, items: page.items.filter((_, i) => visible[i]) }), 200);
  });

  router.openapi(getOne, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const project = await findProject(deps.db, registry, name);
    if (!project) return notFoundProblem(c, 'Project not found', `no project "${name}" in ${registry}`);
    return c.json(project, 200);
  });

  return router;
}
