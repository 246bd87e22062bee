import { z } from '@hono/zod-openapi';
import { CLEANUP_POLICY_LIMITS as LIMITS } from '../../lib/cleanup/policy';
import { CLEANUP_MODES, CLEANUP_PROTECTIONS, CLEANUP_RULE_KINDS, DEFAULT_CLEANUP_POLICY } from '../../lib/cleanup/types';
import { UUID_PATTERN } from '../../lib/uuid';
import { line, singleLine } from '../../lib/text';
import { NameParams, pathName } from './common';
import { CLEANUP_RUN_STATUSES } from '../../db/queries/cleanup';

/** A model-name glob narrowing a rule (Harbor's doublestar, as replication filters). */
const models = line().min(1).max(255).optional().openapi({ description: 'Only models whose name matches this glob (e.g. `llama*`)' });
const days = () => z.number().int().min(0).max(36_500);

const KeepNewest = z
  .object({
    kind: z.literal('keep_newest'),
    models,
    count: z.number().int().min(LIMITS.count[0]).max(LIMITS.count[1]).openapi({ description: 'Releases kept (semver order, newest first)' }),
    per: z.enum(['model', 'major', 'minor']).default('model').openapi({ description: 'Kept per model, per major line (`1.x`) or per major.minor line' }),
  })
  .strict()
  .openapi({ description: 'Selects every release but the newest `count`' });
const Prereleases = z
  .object({ kind: z.literal('prereleases'), models, olderThanDays: days() })
  .strict()
  .openapi({ description: 'Selects a pre-release once a release of the same or a higher version exists and it was pushed more than `olderThanDays` ago' });
const NotPulled = z
  .object({ kind: z.literal('not_pulled'), models, days: days().min(1) })
  .strict()
  .openapi({ description: 'Selects a version not pulled for `days` (audit trail and Harbor pull_time) and pushed more than `days` ago' });
const Untagged = z
  .object({ kind: z.literal('untagged'), models, olderThanHours: z.number().int().min(0).max(876_000) })
  .strict()
  .openapi({ description: 'Selects an artifact without tags pushed more than `olderThanHours` ago' });
const ArchivedModels = z
  .object({ kind: z.literal('archived_models'), models, afterDays: days() })
  .strict()
  .openapi({ description: "Selects what Harbor still holds of a model archived in the catalogue more than `afterDays` ago" });

export const CleanupRuleSchema = z.discriminatedUnion('kind', [KeepNewest, Prereleases, NotPulled, Untagged, ArchivedModels]).openapi('CleanupRule');

/** A policy, replaced whole by a PUT; what is left out takes the default. */
export const CleanupPolicySchema = z
  .object({
    mode: z.enum(CLEANUP_MODES).default(DEFAULT_CLEANUP_POLICY.mode).openapi({ description: '`report` never deletes; `semi-automatic` runs wait for an approval; `automatic` deletes on schedule' }),
    schedule: line()
      .regex(/^\S+(\s+\S+){5}$/, 'six cron fields, seconds first (Harbor style)')
      .max(128)
      .optional()
      .openapi({ description: 'Cron of the Temporal Schedule `cleanup:<registry>/<project>` (six fields, seconds first); absent: no schedule', example: '0 0 3 * * *' }),
    rules: z.array(CleanupRuleSchema).max(50).default([]),
    keepLabel: line().min(1).max(255).default(DEFAULT_CLEANUP_POLICY.keepLabel).openapi({ description: 'Versions carrying this Harbor label are never selected' }),
    maxDeletionsPerRun: z.number().int().min(LIMITS.maxDeletionsPerRun[0]).max(LIMITS.maxDeletionsPerRun[1]).default(DEFAULT_CLEANUP_POLICY.maxDeletionsPerRun).openapi({ description: 'A run stops once it removed this many (never more)' }),
    approvalTimeoutHours: z.number().int().min(LIMITS.approvalTimeoutHours[0]).max(LIMITS.approvalTimeoutHours[1]).default(DEFAULT_CLEANUP_POLICY.approvalTimeoutHours).openapi({ description: 'How long a semi-automatic run waits for its approval before it expires' }),
    mirrorToHarborRetention: z.boolean().default(DEFAULT_CLEANUP_POLICY.mirrorToHarborRetention).openapi({ description: "Mirror `keep_newest` (per model) and `untagged` into the project's Harbor tag retention policy" }),
  })
  .strict()
  .openapi('CleanupPolicy');

export const CleanupPolicyViewSchema = z
  .object({
    policy: CleanupPolicySchema,
    source: z.string().openapi({ description: 'Where the policy in force comes from: the project, its tenant\'s default, or the built-in default' }),
    updatedBy: z.string().nullable(),
    updatedAt: z.string().nullable(),
  })
  .openapi('CleanupPolicyView');

const Selection = z.object({ index: z.number().int(), kind: z.enum(CLEANUP_RULE_KINDS), reason: z.string() });
const Version = { model: z.string(), tag: z.string().nullable().openapi({ description: 'null: an untagged artifact' }), digest: z.string() };
export const CleanupCandidateSchema = z
  .object({
    ...Version,
    selectedBy: z.array(Selection),
    action: z.enum(['untag', 'delete']),
    sizeBytes: z.number().int(),
    freesBytes: z.number().int().openapi({ description: 'Storage freed: blobs no kept version shares' }),
    freesBytesEstimated: z.boolean().openapi({ description: "`freesBytes` is an upper estimate: the manifest of this version's artifact or of another of the project has not been read yet (a refresh reads it), so layers they share are not seen" }),
  })
  .openapi('CleanupCandidate');
const Protected = z.object({ ...Version, protections: z.array(z.enum(CLEANUP_PROTECTIONS)), selectedBy: z.array(Selection) }).openapi('CleanupProtectedVersion');
const Totals = z
  .object({
    candidates: z.number().int(),
    protected: z.number().int(),
    kept: z.number().int(),
    sizeBytes: z.number().int(),
    freesBytes: z.number().int(),
    freesBytesEstimated: z.boolean().openapi({ description: "Some candidate's `freesBytes` is an estimate, so this sum is one too" }),
  })
  .openapi('CleanupTotals');

export const CleanupCandidatesSchema = z
  .object({
    registry: z.string(),
    project: z.string(),
    policy: CleanupPolicySchema,
    source: z.string(),
    now: z.string().openapi({ description: 'The time the ages were measured from' }),
    totals: Totals,
    items: z.array(CleanupCandidateSchema).openapi({ description: 'A page of the candidates, in the order a run removes them' }),
    nextCursor: z.string().nullable(),
    protected: z.array(Protected).openapi({ description: 'The same page of the protected versions' }),
  })
  .openapi('CleanupCandidates');

export const TenantCleanupCandidatesSchema = z
  .object({
    tenant: z.string(),
    projects: z.array(z.object({ registry: z.string(), project: z.string(), source: z.string(), totals: Totals })),
    totals: Totals,
  })
  .openapi('TenantCleanupCandidates');

export const CleanupRunStartSchema = z
  .object({
    dryRun: z.boolean().default(true).openapi({ description: 'Remove nothing, record what would be removed (the default)' }),
    approvalTimeoutSeconds: z.number().int().min(1).max(31_536_000).optional().openapi({ description: "A semi-automatic run's wait for its approval, instead of the policy's `approvalTimeoutHours`" }),
  })
  .strict()
  .openapi('CleanupRunStart');

const Progress = z.object({
  status: z.enum(CLEANUP_RUN_STATUSES),
  done: z.number().int(),
  total: z.number().int(),
  bytesFreed: z.number().int(),
  current: z.object({ model: z.string(), tag: z.string().nullable(), digest: z.string() }).nullable(),
  approvalDeadline: z.string().optional(),
});
const Summary = z.object({
  removed: z.array(z.object({ ...Version, action: z.enum(['untag', 'delete']), freesBytes: z.number().int(), alreadyGone: z.literal(true).optional() })),
  failures: z.array(z.object({ ...Version, error: z.string() })),
  kept: z
    .array(z.object({ ...Version, protections: z.array(z.enum(['approved', 'promoted'])) }))
    .optional()
    .openapi({ description: 'Candidates approved or promoted after the report was made (a run may await its approval for days): checked just before each removal and left alone' }),
});

export const CleanupRunSchema = z
  .object({
    id: z.string(),
    workflowId: z.string(),
    trigger: z.enum(['manual', 'schedule']),
    dryRun: z.boolean(),
    mode: z.enum(CLEANUP_MODES),
    status: z.enum(CLEANUP_RUN_STATUSES),
    requestedBy: z.string().nullable(),
    approvedBy: z.string().nullable(),
    total: z.number().int(),
    done: z.number().int(),
    bytesFreed: z.number().int(),
    summary: Summary.nullable().openapi({ description: "What the run removed (a dry run: would have) and failed to remove, written at its end; what a capped, cancelled or expired run did not reach are its report's candidates past `done`" }),
    report: z.unknown().nullable().openapi({ description: 'The candidates the run worked from (on the single run only)' }),
    detail: z.string().nullable(),
    startedAt: z.string(),
    endedAt: z.string().nullable(),
    progress: Progress.optional().openapi({ description: "The workflow's live progress while the run is active" }),
  })
  .openapi('CleanupRun');
export const CleanupRunPageSchema = z.object({ items: z.array(CleanupRunSchema), nextCursor: z.string().nullable() });

export const CleanupTenantParams = z.object({ tenant: pathName() });
export const CleanupRunParams = NameParams.extend({ id: z.string().regex(UUID_PATTERN, 'must be a uuid').check(singleLine) });
