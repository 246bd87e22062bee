import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { CreateRobotRequestSchema, ListRobotsRequestSchema, ListRobotsResponseSchema, RobotSchema, type RobotService } from '../../../gen/modelregistry/v1/robots_pb';
import { z } from 'zod';
import { PageQuery, pathName } from '../../schemas/common';
import { RobotCreateSchema } from '../../schemas/robots';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { idempotencyKeyOf } from '../context';

const optional = (s: string) => (s === '' ? undefined : s);

/** The project (and robot) a request names: REST's path checks, under the request's field names. */
const ProjectField = z.object({ project: pathName() });
const projectRef = (req: { project: string; registry: string }) => ({ ...parseAs(ProjectField, { project: req.project }, 'param'), registry: optional(req.registry) });
const robotRef = (req: { project: string; robot: string; registry: string }) => ({
  ...parseAs(ProjectField.extend({ robot: pathName() }), { project: req.project, robot: req.robot }, 'param'),
  registry: optional(req.registry),
});

/** RobotService over gRPC: the robot service layer, messages in and out; secrets in the create and refresh answers only. */
export function robotRpcs(services: Services): ServiceImpl<typeof RobotService> {
  return {
    async createRobot(req, ctx) {
      const body = requestJson(CreateRobotRequestSchema, req);
      delete body.project; // REST's path and query
      delete body.registry;
      return mutationMessage(await services.robots.create(projectRef(req), parseAs(RobotCreateSchema, body), idempotencyKeyOf(ctx)), RobotSchema);
    },
    async getRobot(req) {
      return toMessage(RobotSchema, await services.robots.get(robotRef(req)));
    },
    async listRobots(req) {
      const query = requestQuery(ListRobotsRequestSchema, req);
      const page = await services.robots.list(projectRef(req), parseAs(PageQuery, { limit: query.limit, cursor: query.cursor }, 'query'));
      return create(ListRobotsResponseSchema, { robots: page.items.map((r) => toMessage(RobotSchema, r)), nextPageToken: nextPageToken(page) });
    },
    async deleteRobot(req, ctx) {
      return mutationMessage(await services.robots.remove(robotRef(req), idempotencyKeyOf(ctx)), RobotSchema);
    },
    async refreshRobotSecret(req, ctx) {
      return mutationMessage(await services.robots.refreshSecret(robotRef(req), idempotencyKeyOf(ctx)), RobotSchema);
    },
  };
}
