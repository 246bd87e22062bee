/**
 * The contract between the webhook receiver and the repository workflow (no workflow imports, so
 * the API can use it): deliveries for one repository in one signal, in arrival order (the
 * dispatcher groups a backlog).
 */
export const HARBOR_EVENTS_SIGNAL = 'harborEvents';

/** Events about one artifact, each reconciled with what Harbor holds for its digest. */
export const ARTIFACT_EVENTS = new Set(['PUSH_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED']);

/** One Harbor delivery for a repository, as the webhook receiver stored it in the inbox. */
export interface RepositoryEvent {
  inboxId: string;
  type: string;
  digest: string | null;
  tag?: string | null;
  operator?: string | null;
  occurAt: number;
}

export interface RepositoryWorkflowInput {
  registry: string;
  project: string;
  projectId: string;
  repository: string;
  /** Events received but not yet applied, carried over a continue-as-new. */
  pending?: RepositoryEvent[];
  /** History length past which a run continues as new, besides when the server suggests it (tests give a short one). */
  continueAsNewAfter?: number;
}
