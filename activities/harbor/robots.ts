import { ROBOT_PERMISSIONS, robotFullName, type RobotSpec } from '../../lib/robots';
import type { SecretBox } from '../../lib/secrets';
import type { HarborRobotCreate } from './client';
import { conflict } from '../../lib/failure-types';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';
import { createdDuringThisActivity } from './provenance';

export interface CreatedRobot {
  robotId: number;
  name: string;
  sealedSecret: string;
  /** Unix seconds; -1 never. */
  expiresAt: number;
}

/** What onboarding's robot may do: push and pull models, delete them, read artifacts, tag. */
const ONBOARDING_ROBOT_ACCESS = ['push', 'pull', 'delete'].map((action) => ({ resource: 'repository', action })).concat([{ resource: 'artifact', action: 'read' }, { resource: 'tag', action: 'create' }]);

/** Project robots (onboarding's and those the API manages): the secret leaves these activities only sealed. */
export function createHarborRobotActivities(deps: { harbor: HarborInstances; secrets: SecretBox }) {
  const harbor = (registry: string) => deps.harbor.get(registry);
  const inProject = async (registry: string, project: string) => {
    const projectId = (await harbor(registry).projects.get(project))!.project_id!;
    return harbor(registry).robots.listForProject(projectId);
  };
  const find = async (registry: string, project: string, name: string) => (await inProject(registry, project)).find((r) => r.name === robotFullName(project, name));

  /**
   * Creates the robot. Harbor shows a secret only at creation: one found here that Harbor created
   * while this activity ran is its own earlier attempt, so its secret is refreshed to hand one back;
   * an older one is someone else's, never taken over.
   */
  async function createOrRefresh(registry: string, project: string, body: HarborRobotCreate & { name: string }): Promise<CreatedRobot> {
    const client = harbor(registry);
    const existing = await find(registry, project, body.name);
    if (existing && !createdDuringThisActivity(existing.creation_time)) throw conflict(`project "${project}" already has a robot "${body.name}"`);
    if (existing) {
      const refreshed = await client.robots.refreshSecret(existing.id!);
      return { robotId: existing.id!, name: existing.name!, sealedSecret: deps.secrets.seal(refreshed!.secret!), expiresAt: existing.expires_at ?? -1 };
    }
    const created = await client.robots.create(body);
    return { robotId: created!.id!, name: created!.name!, sealedSecret: deps.secrets.seal(created!.secret!), expiresAt: created!.expires_at ?? -1 };
  }

  return {
    /** The ids of the project's robots in Harbor. */
    async listHarborProjectRobotIds(registry: string, project: string): Promise<number[]> {
      return (await inProject(registry, project)).flatMap((r) => (r.id === undefined ? [] : [r.id]));
    },

    async harborRobotExists(registry: string, project: string, name: string): Promise<boolean> {
      return (await find(registry, project, name)) !== undefined;
    },

    /** A robot with the named permissions. */
    async createHarborRobot(spec: RobotSpec): Promise<CreatedRobot> {
      return createOrRefresh(spec.registry, spec.project, {
        name: spec.name,
        level: 'project',
        duration: spec.durationDays,
        description: spec.description ?? '',
        permissions: [{ kind: 'project', namespace: spec.project, access: spec.permissions.flatMap((p) => ROBOT_PERMISSIONS[p].map((a) => ({ ...a }))) }],
      });
    },

    async refreshHarborRobotSecret(registry: string, robotId: number): Promise<{ sealedSecret: string }> {
      const refreshed = await harbor(registry).robots.refreshSecret(robotId);
      return { sealedSecret: deps.secrets.seal(refreshed!.secret!) };
    },

    /** Onboarding's project robot with push/pull. */
    async createProjectRobot(registry: string, project: string, robot: string, durationDays: number): Promise<CreatedRobot> {
      return createOrRefresh(registry, project, {
        name: robot,
        level: 'project',
        duration: durationDays,
        description: 'created by Model Registry onboarding',
        permissions: [{ kind: 'project', namespace: project, access: ONBOARDING_ROBOT_ACCESS }],
      });
    },

    async deleteProjectRobot(registry: string, project: string, robot: string): Promise<void> {
      try {
        for (const r of (await inProject(registry, project)).filter((x) => x.name === robotFullName(project, robot))) await harbor(registry).robots.delete(r.id!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
