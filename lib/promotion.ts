import type { VersionRef } from './checkpoints';

/** Types and names the API, the approval, promotion and sync workflows and their activities share. */

/** Signalled to a waiting promotion when its version's approval changes. */
export const APPROVAL_CHANGED_SIGNAL = 'approvalChanged';
/** Signalled to a promotion or sync waiting for a Harbor execution (e.g. from a replication webhook): poll now. */
export const REPLICATION_CHANGED_SIGNAL = 'replicationChanged';
/** The query giving a promotion's stage. */
export const PROGRESS_QUERY = 'progress';

/** How long a promotion waits for an approval unless the request says otherwise. */
export const DEFAULT_APPROVAL_TIMEOUT_SECONDS = 7 * 24 * 3600;

/** The gates a promotion checks before waiting for an approval. */
export const PROMOTION_GATES = ['scan', 'signature'] as const;
export type PromotionGate = (typeof PROMOTION_GATES)[number];

/** Severities in Harbor's order; a project's threshold is one of them, lower case. */
export const SEVERITIES = ['none', 'low', 'medium', 'high', 'critical'] as const;

/**
 * Whether a scan's severity passes a project's threshold: nothing at or above it. `None` (and
 * Harbor's `Unknown`, no known vulnerability) always passes, so a threshold of `none` still lets a
 * clean version through.
 */
export function severityPasses(found: string, threshold: string): boolean {
  const rank = SEVERITIES.indexOf(found.toLowerCase() as (typeof SEVERITIES)[number]);
  if (rank <= 0) return found.toLowerCase() === 'none' || found.toLowerCase() === 'unknown';
  const limit = SEVERITIES.indexOf(threshold.toLowerCase() as (typeof SEVERITIES)[number]);
  return limit >= 0 && rank < Math.max(limit, 1);
}

/** One gate's verdict, with why it failed. */
export interface GateResult {
  gate: PromotionGate;
  passed: boolean;
  detail: string;
}

/** What the catalogue says of a version before a promotion: its gates and approval. */
export interface PromotionFacts {
  projectId: string;
  tenant: string;
  digest: string;
  gates: GateResult[];
  approved: boolean;
}

export interface Approval {
  approved: boolean;
  digest: string;
  approvedBy: string | null;
  approvedAt: string | null;
}

export interface PromotionRequest {
  ref: VersionRef;
  /** The remote registry's name (on the version's Harbor instance). */
  remote: string;
  /** The namespace on the remote side; absent: the project's name. */
  namespace?: string;
  approvalTimeoutSeconds: number;
  actor: { subject: string; username: string };
}

export type PromotionStage = 'checking-gates' | 'waiting-for-approval' | 'checking-remote' | 'replicating' | 'verifying' | 'recording' | 'completed' | 'failed';

export interface PromotionProgress {
  stage: PromotionStage;
  /** When waiting for an approval: until when (ISO time). */
  approvalDeadline?: string;
  /** Harbor's execution, once started. */
  harborExecutionId?: number;
  failedStep?: string;
}

export interface PromotionResult {
  ref: VersionRef;
  remote: string;
  remoteRepository: string;
  digest: string;
  /** False when the remote already served the tag with this digest. */
  copied: boolean;
  /** The replication execution row, when one ran. */
  executionId: string | null;
  status: 'present';
}

/** A manifest as a remote registry serves it (HEAD /v2/<repo>/manifests/<ref>). */
export interface RemoteManifest {
  digest: string;
  mediaType: string | null;
}
