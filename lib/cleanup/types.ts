/**
 * The contract of cleanup: a policy of rules, the versions it is applied to, and the report it gives.
 * `selectCleanup` (lib/cleanup/select.ts) is the one pure function from the second to the third; the
 * candidates route, the run workflow and the benchmark all call it.
 */

export const CLEANUP_MODES = ['report', 'semi-automatic', 'automatic'] as const;
/** `report` never deletes; `semi-automatic` waits for an approval before deleting; `automatic` deletes on schedule. */
export type CleanupMode = (typeof CLEANUP_MODES)[number];

export const CLEANUP_RULE_KINDS = ['keep_newest', 'prereleases', 'not_pulled', 'untagged', 'archived_models'] as const;
export type CleanupRuleKind = (typeof CLEANUP_RULE_KINDS)[number];

/** Every rule may be narrowed to models whose name matches a glob (lib/replication's `globMatches`). */
interface RuleScope {
  models?: string;
}

/** Selects every release but the newest `count` per model, or per major (`1.x`, `2.x`) or major.minor line. */
export interface KeepNewestRule extends RuleScope {
  kind: 'keep_newest';
  count: number;
  per: 'model' | 'major' | 'minor';
}

/** Selects a pre-release once a release of the same or a higher version exists and it was pushed more than `olderThanDays` ago. */
export interface PrereleasesRule extends RuleScope {
  kind: 'prereleases';
  olderThanDays: number;
}

/** Selects a version not pulled for `days` (never pulled counts as not pulled) and pushed more than `days` ago. */
export interface NotPulledRule extends RuleScope {
  kind: 'not_pulled';
  days: number;
}

/** Selects an artifact without tags pushed more than `olderThanHours` ago. */
export interface UntaggedRule extends RuleScope {
  kind: 'untagged';
  olderThanHours: number;
}

/** Selects every artifact still in Harbor of a model archived in the catalogue more than `afterDays` ago. */
export interface ArchivedModelsRule extends RuleScope {
  kind: 'archived_models';
  afterDays: number;
}

export type CleanupRule = KeepNewestRule | PrereleasesRule | NotPulledRule | UntaggedRule | ArchivedModelsRule;

export interface CleanupPolicy {
  mode: CleanupMode;
  /** Harbor-style six-field cron (seconds first) of the policy's Schedule; absent: no schedule. */
  schedule?: string;
  rules: CleanupRule[];
  /** Versions carrying this Harbor label are never selected. */
  keepLabel: string;
  /** A run stops once it has deleted this many (it never exceeds it). */
  maxDeletionsPerRun: number;
  /** How long a semi-automatic run waits for its approval before it expires, deleting nothing. */
  approvalTimeoutHours: number;
  /** Mirror `keep_newest` (per model) and `untagged` into Harbor's tag retention policy of the project. */
  mirrorToHarborRetention: boolean;
}

export const DEFAULT_CLEANUP_POLICY: CleanupPolicy = {
  mode: 'report',
  rules: [],
  keepLabel: 'keep',
  maxDeletionsPerRun: 100,
  approvalTimeoutHours: 72,
  mirrorToHarborRetention: false,
};

/** A blob of an artifact (its layers and config; the manifest itself counts as one too). */
export interface CleanupBlob {
  digest: string;
  size: number;
}

/** One artifact in Harbor with everything the rules and protections read. */
export interface CleanupArtifact {
  model: string;
  digest: string;
  /** Its tags now (empty: an untagged artifact). */
  tags: { name: string; pushedAt: string; immutable: boolean }[];
  pushedAt: string;
  /** The later of Harbor's `pull_time` and the audit trail's last pull; absent: never pulled. */
  pulledAt?: string;
  labels: string[];
  approved: boolean;
  /** Present at a remote registry (a `present` location). */
  promoted: boolean;
  /** When the catalogue archived its model; absent: the model is live. */
  modelArchivedAt?: string;
  blobs: CleanupBlob[];
  /** Its manifest is not known (not read yet): `blobs` is the artifact as one blob, so no layer it shares is seen. */
  blobsUnknown?: true;
}

export interface CleanupInput {
  /** ISO time the ages are measured from (the workflow passes its own clock, tests a fixed one). */
  now: string;
  policy: CleanupPolicy;
  artifacts: CleanupArtifact[];
}

/** The rule that selected a version: its position in the policy, its kind and why, in words. */
export interface Selection {
  index: number;
  kind: CleanupRuleKind;
  reason: string;
}

export const CLEANUP_PROTECTIONS = ['latest_release', 'approved', 'promoted', 'label', 'immutable'] as const;
export type CleanupProtection = (typeof CLEANUP_PROTECTIONS)[number];

/** A version is a tag of an artifact; an untagged artifact is one version with `tag` null. */
export interface VersionRef {
  model: string;
  tag: string | null;
  digest: string;
}

export interface CleanupCandidate extends VersionRef {
  /** Every rule that selects it, in policy order. */
  selectedBy: Selection[];
  /** `untag` when the artifact keeps other tags; `delete` for its last (or only) tag and for untagged artifacts. */
  action: 'untag' | 'delete';
  /** Bytes of the artifact's blobs. */
  sizeBytes: number;
  /** Bytes no kept version and no other candidate references (0 for an `untag`). */
  freesBytes: number;
  /**
   * `freesBytes` is an upper estimate: the manifest of this artifact or of another of the project
   * is not known, so layers they share are not seen (never for an `untag`, which frees nothing).
   */
  freesBytesEstimated: boolean;
}

export interface ProtectedVersion extends VersionRef {
  /** Every protection that applies, by name. */
  protections: CleanupProtection[];
  /** The rules that would have selected it. */
  selectedBy: Selection[];
}

export interface CleanupReport {
  /** In the order a run deletes them: per artifact, untags first and its `delete` last. */
  candidates: CleanupCandidate[];
  protected: ProtectedVersion[];
  totals: {
    candidates: number;
    protected: number;
    /** Versions no rule selects. */
    kept: number;
    sizeBytes: number;
    /** Bytes of blobs referenced by deleted artifacts and by no artifact that stays (shared layers counted once, kept ones not at all). */
    freesBytes: number;
    /** Some candidate's `freesBytes` is an estimate, so this sum is one too. */
    freesBytesEstimated: boolean;
  };
}
