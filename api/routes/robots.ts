import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveRobot, listRobots, type RobotRecord } from '../../db/queries/robots';
import { robotFullNameTooLong } from '../../lib/names';
import { robotFullName, type RobotSpec } from '../../lib/robots';
import type { SecretBox } from '../../lib/secrets';
import { robotWorkflowId } from '../../lib/workflow-ids';
import { OperationKind, ProjectName } from '../../lib/search-attributes';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, validationProblem } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, pathName, problem, RegistryQuery } from '../schemas/common';
import { RevealedSchema, RobotCreateSchema, RobotPageSchema, RobotSchema } from '../schemas/robots';
import { robotCreateWorkflow, robotDeleteWorkflow, robotSecretRefreshWorkflow } from '../../workflows';
import type { RobotRef } from '../../workflows/robots';

const params = NameParams;
const robotParams = NameParams.extend({ robot: pathName() });
const query = RegistryQuery;
const tags = ['Robots'];

const create = createRoute({
  method: 'post',
  path: '/projects/{name}/robots',
  tags,
  summary: 'Create a project robot account; its secret is in this answer only',
  request: { params, query, headers: IdempotencyKeyHeader, body: jsonBody(RobotCreateSchema) },
  responses: {
    201: json('Created', RevealedSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such project'),
    409: problem('The project has a robot of that name'),
  },
});
const list = createRoute({
  method: 'get',
  path: '/projects/{name}/robots',
  tags,
  summary: 'Robot accounts of a project (never their secrets)',
  request: { params, query: PageQuery.merge(query) },
  responses: { 200: json('A page of robots', RobotPageSchema), 404: problem('No such project') },
});
const getOne = createRoute({
  method: 'get',
  path: '/projects/{name}/robots/{robot}',
  tags,
  summary: 'A robot account',
  request: { params: robotParams, query },
  responses: { 200: json('The robot', RobotSchema), 404: problem('No such robot') },
});
const remove = createRoute({
  method: 'delete',
  path: '/projects/{name}/robots/{robot}',
  tags,
  summary: 'Delete a robot account in Harbor and archive it here',
  request: { params: robotParams, query, headers: IdempotencyKeyHeader },
  responses: { 200: json('Deleted', RobotSchema), 202: acceptedResponse, 404: problem('No such robot') },
});
const refresh = createRoute({
  method: 'post',
  path: '/projects/{name}/robots/{robot}/secret',
  tags,
  summary: 'A new secret for the robot (the old one stops working); shown in this answer only',
  request: { params: robotParams, query, headers: IdempotencyKeyHeader },
  responses: { 200: json('Refreshed', RevealedSchema), 202: acceptedResponse, 404: problem('No such robot') },
});

/** Project robot accounts: writes by workflows, reads from the catalogue, secrets revealed once. */
export function createRobotsRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; secrets: SecretBox }) {
  const router = createRouter();
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  const noProject = (c: Context, name: string, registry: string) => notFoundProblem(c, 'Project not found', `no project "${name}" in ${registry}`);
  const reveal = (result: { robot: RobotRecord; sealedSecret: string }) => ({ ...result.robot, secret: deps.secrets.open(result.sealedSecret) });
  const attributes = (project: string, kind: string) => [
    { key: ProjectName, value: project },
    { key: OperationKind, value: kind },
  ];

  router.openapi(create, async (c) => {
    const { name } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const body = c.req.valid('json');
    const tooLong = robotFullNameTooLong(name, body.name);
    if (tooLong) return validationProblem(c, [{ field: 'body.name', message: tooLong, code: 'too_big' }]);
    const spec: RobotSpec = { registry, project: name, ...body };
    const outcome = await mutationResponse(c, deps.mutations, robotCreateWorkflow, {
      workflowId: robotWorkflowId(registry, name, body.name),
      args: [spec],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: attributes(name, 'robot.create'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(reveal(outcome.result), 201);
  });

  router.openapi(list, async (c) => {
    const { name } = c.req.valid('param');
    const q = c.req.valid('query');
    const registry = registryOf(q.registry);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) return noProject(c, name, registry);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listRobots(deps.db, project.id, { after, limit: q.limit })), 200);
  });

  router.openapi(getOne, async (c) => {
    const { name, robot } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) return noProject(c, name, registry);
    const found = await findLiveRobot(deps.db, project.id, robotFullName(name, robot));
    if (!found) return notFoundProblem(c, 'Robot not found', `project "${name}" has no robot "${robot}"`);
    return c.json(found, 200);
  });

  /** A change of one existing robot: its workflow's spec, keyed like the robot. */
  const robotChange = (params: { name: string; robot: string }, requested: string | undefined, idempotencyKey: string | undefined, kind: string) => {
    const ref: RobotRef = { registry: registryOf(requested), project: params.name, name: params.robot };
    const args: [RobotRef] = [ref];
    return { workflowId: robotWorkflowId(ref.registry, ref.project, ref.name), args, idempotencyKey, searchAttributes: attributes(params.name, kind) };
  };

  router.openapi(remove, async (c) => {
    const spec = robotChange(c.req.valid('param'), c.req.valid('query').registry, c.req.valid('header')['idempotency-key'], 'robot.delete');
    const outcome = await mutationResponse(c, deps.mutations, robotDeleteWorkflow, spec);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(refresh, async (c) => {
    const spec = robotChange(c.req.valid('param'), c.req.valid('query').registry, c.req.valid('header')['idempotency-key'], 'robot.refresh');
    const outcome = await mutationResponse(c, deps.mutations, robotSecretRefreshWorkflow, spec);
    if (!outcome.done) return outcome.response;
    return c.json(reveal(outcome.result), 200);
  });

  return router;
}
