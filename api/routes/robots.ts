import { createRoute } from '@hono/zod-openapi';
import { idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, pathName, problem, RegistryQuery } from '../schemas/common';
import { RevealedSchema, RobotCreateSchema, RobotPageSchema, RobotSchema } from '../schemas/robots';
import type { RobotService } from '../services/robots';

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
export function createRobotsRouter(deps: { robots: RobotService }) {
  const router = createRouter();

  router.openapi(create, async (c) => {
    const ref = { project: c.req.valid('param').name, registry: c.req.valid('query').registry };
    const mutation = await deps.robots.create(ref, c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (robot) => c.json(robot, 201));
  });

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(await deps.robots.list({ project: c.req.valid('param').name, registry: q.registry }, q), 200);
  });

  router.openapi(getOne, async (c) => {
    const { name, robot } = c.req.valid('param');
    return c.json(await deps.robots.get({ project: name, robot, registry: c.req.valid('query').registry }), 200);
  });

  router.openapi(remove, async (c) => {
    const { name, robot } = c.req.valid('param');
    const mutation = await deps.robots.remove({ project: name, robot, registry: c.req.valid('query').registry }, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (archived) => c.json(archived, 200));
  });

  router.openapi(refresh, async (c) => {
    const { name, robot } = c.req.valid('param');
    const mutation = await deps.robots.refreshSecret({ project: name, robot, registry: c.req.valid('query').registry }, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (revealed) => c.json(revealed, 200));
  });

  return router;
}
