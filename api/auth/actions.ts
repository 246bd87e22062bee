/** The service's PBAC actions (seed: "The list of expected service actions"). */
export const ACTIONS = [
  'projects.read',
  'projects.write',
  'models.read',
  'models.write',
  /** Approving a model version for promotion: never the account that pushed it. */
  'models.approve',
  'registries.read',
  'registries.write',
  'checkpoints.read',
  'checkpoints.write',
  'audit.read',
  'cleanup.admin',
  'cleanup.read',
  'membership.admin',
] as const;
export type Action = (typeof ACTIONS)[number];

export const SERVICE_NAME = 'model-registry';

/** What an action is asked on (seed: "PBAC components"). Absent fields are not constrained. */
export interface Resource {
  service: typeof SERVICE_NAME;
  tenant?: string;
  accessType?: 'public' | 'private';
  model?: string;
  version?: string;
}
