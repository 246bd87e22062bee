/** What a project robot may do, by name, and the Harbor accesses each grants. */
export const ROBOT_PERMISSIONS = {
  pull: [{ resource: 'repository', action: 'pull' }],
  push: [{ resource: 'repository', action: 'push' }],
  delete: [
    { resource: 'repository', action: 'delete' },
    { resource: 'artifact', action: 'delete' },
  ],
  read: [
    { resource: 'repository', action: 'list' },
    { resource: 'artifact', action: 'read' },
    { resource: 'artifact', action: 'list' },
    { resource: 'tag', action: 'list' },
  ],
  tag: [
    { resource: 'tag', action: 'create' },
    { resource: 'tag', action: 'delete' },
  ],
  label: [{ resource: 'artifact-label', action: 'create' }],
  scan: [{ resource: 'scan', action: 'create' }],
} as const;
export type RobotPermission = keyof typeof ROBOT_PERMISSIONS;
export const ROBOT_PERMISSION_NAMES = Object.keys(ROBOT_PERMISSIONS) as [RobotPermission, ...RobotPermission[]];

/** Harbor's name of a project robot. */
export const robotFullName = (project: string, robot: string) => `robot$${project}+${robot}`;

export interface RobotSpec {
  registry: string;
  project: string;
  /** The short name; Harbor calls it robot$<project>+<name>. */
  name: string;
  description?: string;
  /** Days until it expires; -1 never. */
  durationDays: number;
  permissions: RobotPermission[];
}
