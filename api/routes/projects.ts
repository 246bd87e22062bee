import { createRoute } from '@hono/zod-openapi';
import { actorOf, authOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, problem, RegistryQuery } from '../schemas/common';
import {
  ProjectCreatedSchema,
  ProjectCreateSchema,
  ProjectDeleteQuery,
  ProjectDetailSchema,
  ProjectListQuery,
  ProjectPageSchema,
  ProjectPatchSchema,
  ProjectRegisteredSchema,
  ProjectRegisterSchema,
  ProjectSchema,
} from '../schemas/projects';
import type { ProjectService } from '../services/projects';

const tag = ['Projects'];

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
    query: ProjectListQuery,
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
    query: ProjectDeleteQuery,
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

export function createProjectsRouter(deps: { projects: ProjectService }) {
  const router = createRouter();

  router.openapi(onboard, async (c) => {
    const mutation = await deps.projects.onboard(c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (project) => c.json(project, 201));
  });

  router.openapi(register, async (c) => {
    const mutation = await deps.projects.register(c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (project) => c.json(project, 200));
  });

  router.openapi(patch, async (c) => {
    const ref = { name: c.req.valid('param').name, registry: c.req.valid('query').registry };
    const mutation = await deps.projects.update(ref, c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (project) => c.json(project, 200));
  });

  router.openapi(remove, async (c) => {
    const mutation = await deps.projects.remove(c.req.valid('param').name, c.req.valid('query'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (project) => c.json(project, 200));
  });

  router.openapi(list, async (c) => c.json(await deps.projects.list(authOf(c), c.req.valid('query')), 200));

  router.openapi(getOne, async (c) => c.json(await deps.projects.get(c.req.valid('param').name, c.req.valid('query').registry), 200));

  return router;
}
