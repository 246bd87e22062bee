/** Where checkpoint files may live: object stores, web, Hugging Face, OCI, or the Assets service. */
export const CHECKPOINT_URI = /^(s3|gs|az|https?|hf|oci|asset):\/\/[^\s]+$/;

/** A checkpoint of a model version as recorded (its files stay where `uri` points). */
export interface CheckpointCreate {
  name: string;
  uri: string;
  format?: string;
  framework?: string;
  step?: number;
  epoch?: number;
  metrics?: Record<string, number>;
  description?: string;
}

/** A change of a checkpoint: any field but its name. */
export type CheckpointPatch = Partial<Omit<CheckpointCreate, 'name'>>;

export interface VersionRef {
  registry: string;
  project: string;
  model: string;
  tag: string;
}
