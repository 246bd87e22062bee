import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { RobotRecord } from '../db/queries/robots';
import { robotFullName, type RobotSpec } from '../lib/robots';
import { conflict, FailureType, isFailure, notFound, translateFailure } from '../lib/failure-types';
import { profiles } from './activity-options';
import { requireProject } from './lookups';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const undo = proxyActivities<Activities>(profiles.compensation);

export interface RobotRef {
  registry: string;
  project: string;
  name: string;
}

async function liveRobot(ref: RobotRef) {
  const project = await requireProject(ref.registry, ref.project);
  const robot = await db.findRobotAccount(project.id, robotFullName(ref.project, ref.name));
  if (!robot) throw notFound(`project "${ref.project}" has no robot "${ref.name}"`);
  return { project, robot };
}

const robotEvent = (type: string, ref: RobotRef, robot: RobotRecord) => ({
  id: uuid4(),
  type,
  subject: `projects/${ref.registry}/${ref.project}/robots/${ref.name}`,
  time: new Date().toISOString(),
  data: { registry: ref.registry, project: ref.project, robot: robot.name, permissions: robot.permissions, expiresAt: robot.expiresAt },
});

/** Creates the robot in Harbor and records it; a robot not recorded could be managed by nobody, so it is undone. */
async function createRecorded(projectId: string, spec: RobotSpec): Promise<{ robot: RobotRecord; sealedSecret: string }> {
  const saga = new Saga();
  try {
    const created = await saga.step(
      'create-harbor-robot',
      // A robot of that name appeared in Harbor after the check: someone else's, the caller's conflict, never undone.
      () => translateFailure(harbor.createHarborRobot(spec), FailureType.HarborConflict, () => conflict(`project "${spec.project}" already has a robot "${spec.name}"`)),
      () => undo.deleteProjectRobot(spec.registry, spec.project, spec.name),
      { didNothing: (err) => isFailure(err, FailureType.Conflict) },
    );
    const robot = await saga.step('save-robot', () =>
      db.saveRobotAccount({
        projectId,
        harborRobotId: created.robotId,
        name: created.name,
        sealedSecret: created.sealedSecret,
        expiresAt: created.expiresAt > 0 ? new Date(created.expiresAt * 1000).toISOString() : null,
        description: spec.description ?? null,
        permissions: spec.permissions,
      }),
    );
    return { robot, sealedSecret: created.sealedSecret };
  } catch (err) {
    return saga.fail(err);
  }
}

/** A project robot in Harbor with the named permissions; its secret comes back sealed, for a one-time reveal. */
export async function robotCreateWorkflow(spec: RobotSpec): Promise<{ robot: RobotRecord; sealedSecret: string }> {
  const project = await requireProject(spec.registry, spec.project);
  if ((await db.findRobotAccount(project.id, robotFullName(spec.project, spec.name))) || (await harbor.harborRobotExists(spec.registry, spec.project, spec.name))) {
    throw conflict(`project "${spec.project}" already has a robot "${spec.name}"`);
  }
  const created = await createRecorded(project.id, spec);
  await events.publishEvent(robotEvent('modelregistry.robot.created', spec, created.robot));
  return created;
}

/** Deletes the robot in Harbor (already gone is fine) and archives its row. */
export async function robotDeleteWorkflow(ref: RobotRef): Promise<RobotRecord> {
  const { robot } = await liveRobot(ref);
  await harbor.deleteProjectRobot(ref.registry, ref.project, ref.name);
  await db.archiveRobotAccount(robot.id);
  await events.publishEvent(robotEvent('modelregistry.robot.deleted', ref, robot));
  return { ...robot, archived: true };
}

/** A new secret from Harbor; the old one stops working. Sealed in the row, revealed once. */
export async function robotSecretRefreshWorkflow(ref: RobotRef): Promise<{ robot: RobotRecord; sealedSecret: string }> {
  const { robot } = await liveRobot(ref);
  const { sealedSecret } = await harbor.refreshHarborRobotSecret(ref.registry, robot.harborRobotId);
  await db.updateRobotSecret(robot.id, sealedSecret);
  await events.publishEvent(robotEvent('modelregistry.robot.refreshed', ref, robot));
  return { robot, sealedSecret };
}
