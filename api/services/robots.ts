import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveRobot, listRobots, type RobotRecord } from '../../db/queries/robots';
import { robotFullNameTooLong } from '../../lib/names';
import { robotFullName } from '../../lib/robots';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { OperationKind } from '../../lib/search-attributes';
import type { SecretBox } from '../../lib/secrets';
import { robotWorkflowId } from '../../lib/workflow-ids';
import { robotCreateWorkflow, robotDeleteWorkflow, robotSecretRefreshWorkflow } from '../../workflows';
import type { RobotRef } from '../../workflows/robots';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError, validationFailure } from '../problem';
import { managedRegistry } from '../registry';
import type { PageQuery } from '../schemas/common';
import type { RobotCreateSchema } from '../schemas/robots';
import { mutate } from './mutation';
import { projectAttributes } from './project-attributes';

/** A project as a request names it: `registry` as asked (the default instance when absent). */
export interface ProjectRef {
  registry: string | undefined;
  project: string;
}

/** A project's robots, for every transport; the secret only in the answers of create and refresh. */
export function createRobotService(deps: { db: Db; mutations: MutationDeps; projects: ProjectLookup; registries: string[]; secrets: SecretBox }) {
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  const reveal = (result: { robot: RobotRecord; sealedSecret: string }) => ({ ...result.robot, secret: deps.secrets.open(result.sealedSecret) });
  const attributes = (registry: string, project: string, kind: string) => projectAttributes(deps.projects, registry, project, [{ key: OperationKind, value: kind }]);
  const liveProject = async (ref: ProjectRef) => {
    const registry = registryOf(ref.registry);
    const project = await findLiveProject(deps.db, registry, ref.project);
    if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${ref.project}" in ${registry}`));
    return project;
  };
  /** A change of one existing robot: its workflow's spec, keyed like the robot. */
  const robotChange = async (ref: ProjectRef & { robot: string }, idempotencyKey: string | undefined, kind: string) => {
    const robot: RobotRef = { registry: registryOf(ref.registry), project: ref.project, name: ref.robot };
    const args: [RobotRef] = [robot];
    return { workflowId: robotWorkflowId(robot.registry, robot.project, robot.name), args, idempotencyKey, searchAttributes: await attributes(robot.registry, ref.project, kind) };
  };

  return {
    async create(ref: ProjectRef, body: z.infer<typeof RobotCreateSchema>, idempotencyKey: string | undefined) {
      const registry = registryOf(ref.registry);
      const tooLong = robotFullNameTooLong(ref.project, body.name);
      if (tooLong) throw new ProblemError(validationFailure([{ field: 'body.name', message: tooLong, code: 'too_big' }]));
      return mutate(
        deps.mutations,
        robotCreateWorkflow,
        { workflowId: robotWorkflowId(registry, ref.project, body.name), args: [{ registry, project: ref.project, ...body }], idempotencyKey, searchAttributes: await attributes(registry, ref.project, 'robot.create') },
        reveal,
      );
    },

    async list(ref: ProjectRef, q: z.infer<typeof PageQuery>) {
      const project = await liveProject(ref);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      return pageResponse(await listRobots(deps.db, project.id, { after, limit: q.limit }));
    },

    async get(ref: ProjectRef & { robot: string }) {
      const project = await liveProject(ref);
      const found = await findLiveRobot(deps.db, project.id, robotFullName(ref.project, ref.robot));
      if (!found) throw new ProblemError(problemBody(404, 'not-found', 'Robot not found', `project "${ref.project}" has no robot "${ref.robot}"`));
      return found;
    },

    remove: async (ref: ProjectRef & { robot: string }, idempotencyKey: string | undefined) =>
      mutate(deps.mutations, robotDeleteWorkflow, await robotChange(ref, idempotencyKey, 'robot.delete'), (robot) => robot),

    refreshSecret: async (ref: ProjectRef & { robot: string }, idempotencyKey: string | undefined) =>
      mutate(deps.mutations, robotSecretRefreshWorkflow, await robotChange(ref, idempotencyKey, 'robot.refresh'), reveal),
  };
}
export type RobotService = ReturnType<typeof createRobotService>;
