import { ROBOT_PERMISSIONS, robotFullName, type RobotSpec } from '../../lib/robots';
import type { SecretBox } from '../../lib/secrets';
import type { HarborInstances } from './instances';

export interface CreatedRobot {
  robotId: number;
  name: string;
  sealedSecret: string;
  /** Unix seconds; -1 never. */
  expiresAt: number;
}

/** Project robots the API manages: the secret leaves these activities only sealed. */
export function createHarborRobotActivities(deps: { harbor: HarborInstances; secrets: SecretBox }) {
  const harbor = (registry: string) => deps.harbor.get(registry);
  const find = async (registry: string, project: string, name: string) => {
    const client = harbor(registry);
    const projectId = (await client.projects.get(project))!.project_id!;
    return (await client.robots.listForProject(projectId)).find((r) => r.name === robotFullName(project, name));
  };

  return {
    async harborRobotExists(registry: string, project: string, name: string): Promise<boolean> {
      return (await find(registry, project, name)) !== undefined;
    },

    /**
     * Creates the robot with the named permissions. The workflow checked it did not exist, so one
     * found here is this activity's own earlier attempt: its secret is refreshed to hand one back.
     */
    async createHarborRobot(spec: RobotSpec): Promise<CreatedRobot> {
      const client = harbor(spec.registry);
      const existing = await find(spec.registry, spec.project, spec.name);
      if (existing) {
        const refreshed = await client.robots.refreshSecret(existing.id!);
        return { robotId: existing.id!, name: existing.name!, sealedSecret: deps.secrets.seal(refreshed!.secret!), expiresAt: existing.expires_at ?? -1 };
      }
      const created = await client.robots.create({
        name: spec.name,
        level: 'project',
        duration: spec.durationDays,
        description: spec.description ?? '',
        permissions: [{ kind: 'project', namespace: spec.project, access: spec.permissions.flatMap((p) => ROBOT_PERMISSIONS[p].map((a) => ({ ...a }))) }],
      });
      return { robotId: created!.id!, name: created!.name!, sealedSecret: deps.secrets.seal(created!.secret!), expiresAt: created!.expires_at ?? -1 };
    },

    async refreshHarborRobotSecret(registry: string, robotId: number): Promise<{ sealedSecret: string }> {
      const refreshed = await harbor(registry).robots.refreshSecret(robotId);
      return { sealedSecret: deps.secrets.seal(refreshed!.secret!) };
    },
  };
}
