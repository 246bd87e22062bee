import { z } from '@hono/zod-openapi';
import { cronProblem, EXECUTION_STATUSES, REPLICATION_DIRECTIONS, REPLICATION_TRIGGERS, RULE_NAME_PATTERN } from '../../lib/replication';
import { UUID_PATTERN } from '../../lib/uuid';
import { line, singleLine, text } from '../../lib/text';
import { NameParams, pathName } from './common';

export const ReplicationRuleParams = NameParams.extend({ rule: pathName() });
// Our row's uuid: the pattern first, so the document states it, then the check every request string carries.
export const ReplicationExecutionParams = ReplicationRuleParams.extend({ id: z.string().regex(UUID_PATTERN, 'must be a uuid').check(singleLine) });

const glob = (description: string, example: string) => line().min(1).max(255).openapi({ description, example });

export const FiltersSchema = z
  .object({
    name: glob('Model-name glob within the source namespace (`**`, `*`, `?`, `{a,b}`); every model when absent', 'llama-*'),
    tag: glob('Tag glob, semantic-version wildcards included (`0.1.*`, `latest`, `{1.*,2.*}`)', '0.1.*'),
    label: line().min(1).max(255).optional().openapi({ description: 'A Harbor label the artifacts must carry' }),
  })
  .partial()
  .strict()
  .openapi('ReplicationFilters');

const cron = line()
  .min(1)
  .max(128)
  .openapi({ description: "Harbor's six-field cron (seconds first), required with trigger `scheduled` and only then", example: '0 0 2 * * *' });

const ruleFields = {
  remoteNamespace: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[a-z0-9][a-z0-9._-]*(?:\/[a-z0-9][a-z0-9._-]*)*$/, 'lowercase letters, digits, ".", "_", "-", levels separated by "/"')
    .check(singleLine)
    .openapi({ description: "The namespace on the remote side; the project's name when absent" }),
  trigger: z.enum(REPLICATION_TRIGGERS).openapi({ description: '`manual` (run now only), `event_based` (on every push, and delete with replicateDeletion), `scheduled` (cron)' }),
  cron,
  filters: FiltersSchema,
  replicateDeletion: z.boolean().openapi({ description: 'Deletions are replicated too (event_based)' }),
  override: z.boolean().openapi({ description: 'Overwrite artifacts of the same name on the destination' }),
  bandwidthKbps: z.number().int().min(-1).max(2_147_483_647).openapi({ description: 'Bandwidth limit in KB/s; -1 unlimited' }),
  enabled: z.boolean(),
  description: text().max(1024),
};

/** Harbor's cron rules: required iff scheduled, and six fields. */
function checkCron(b: { trigger?: string; cron?: string }, ctx: z.RefinementCtx, cronRequired: boolean) {
  if (b.cron !== undefined) {
    if (b.trigger !== undefined && b.trigger !== 'scheduled') ctx.addIssue({ code: 'custom', path: ['cron'], message: 'only with trigger scheduled' });
    const problem = cronProblem(b.cron);
    if (problem) ctx.addIssue({ code: 'custom', path: ['cron'], message: problem });
  } else if (cronRequired && b.trigger === 'scheduled') ctx.addIssue({ code: 'custom', path: ['cron'], message: 'required when trigger is scheduled' });
}

export const ReplicationRuleCreateSchema = z
  .object({
    name: z
      .string()
      .regex(RULE_NAME_PATTERN, 'lowercase letters, digits, "_", "-", starting with a letter or digit, at most 63')
      .check(singleLine)
      .openapi({ example: 'to-dr-site' }),
    direction: z.enum(REPLICATION_DIRECTIONS).openapi({ description: '`push`: this project → the remote registry; `pull`: the remote registry → this project' }),
    registry: line().min(1).max(255).openapi({ description: "A remote registry's name: the project's tenant's or a shared one, on the project's Harbor instance", 'x-remote-registry': true }),
    remoteNamespace: ruleFields.remoteNamespace.optional(),
    trigger: ruleFields.trigger.default('manual'),
    cron: cron.optional(),
    filters: FiltersSchema.default({}),
    replicateDeletion: ruleFields.replicateDeletion.default(false),
    override: ruleFields.override.default(false),
    bandwidthKbps: ruleFields.bandwidthKbps.default(-1),
    enabled: ruleFields.enabled.default(true),
    description: ruleFields.description.optional(),
  })
  .strict()
  .superRefine((b, ctx) => checkCron(b, ctx, true))
  .openapi('ReplicationRuleCreate');

export const ReplicationRulePatchSchema = z
  .object({
    remoteNamespace: ruleFields.remoteNamespace,
    trigger: ruleFields.trigger,
    cron,
    filters: FiltersSchema,
    replicateDeletion: ruleFields.replicateDeletion,
    override: ruleFields.override,
    bandwidthKbps: ruleFields.bandwidthKbps,
    enabled: ruleFields.enabled,
    description: ruleFields.description,
  })
  .partial()
  .strict()
  .superRefine((b, ctx) => {
    if (Object.keys(b).length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'set at least one field' });
    // Whether a cron is missing depends on the rule's cron now: the workflow checks that.
    checkCron(b, ctx, false);
  })
  .meta({ minProperties: 1 })
  .openapi('ReplicationRulePatch');

export const ReplicationRuleSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    project: z.string(),
    projectId: z.uuid(),
    registry: z.string().openapi({ description: 'The managed Harbor instance of the project' }),
    direction: z.enum(REPLICATION_DIRECTIONS),
    remoteRegistry: z.string().openapi({ description: "The remote registry's name" }),
    remoteRegistryId: z.uuid(),
    remoteNamespace: z.string(),
    trigger: z.enum(REPLICATION_TRIGGERS),
    cron: z.string().nullable(),
    filters: z.object({ name: z.string().optional(), tag: z.string().optional(), label: z.string().optional() }),
    replicateDeletion: z.boolean(),
    override: z.boolean(),
    bandwidthKbps: z.number().int(),
    enabled: z.boolean(),
    description: z.string().nullable(),
    harborPolicyId: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('ReplicationRule');
export const ReplicationRulePageSchema = z.object({ items: z.array(ReplicationRuleSchema), nextCursor: z.string().nullable() }).openapi('ReplicationRulePage');

export const ReplicationTaskSchema = z
  .object({
    id: z.number().int(),
    resourceType: z.string().optional(),
    srcResource: z.string().optional(),
    dstResource: z.string().optional(),
    operation: z.string().optional(),
    status: z.string(),
    startedAt: z.string().optional(),
    endedAt: z.string().optional(),
  })
  .openapi('ReplicationTask');

export const ReplicationExecutionSchema = z
  .object({
    id: z.uuid(),
    registry: z.string(),
    harborExecutionId: z.number().int(),
    harborPolicyId: z.number().int(),
    ruleId: z.uuid().nullable(),
    purpose: z.string().openapi({ description: '`rule` (run now, or started by the rule\'s trigger in Harbor)' }),
    status: z.string().openapi({ description: `Harbor's status: ${EXECUTION_STATUSES.join(', ')}` }),
    statusText: z.string().nullable(),
    trigger: z.string().nullable(),
    counts: z.object({ total: z.number().int(), succeed: z.number().int(), failed: z.number().int(), inProgress: z.number().int(), stopped: z.number().int() }),
    tasks: z.array(ReplicationTaskSchema).openapi({ description: 'Per-artifact progress as Harbor reports it' }),
    startedAt: z.string().nullable(),
    endedAt: z.string().nullable(),
    observedAt: z.string().openapi({ description: 'When Harbor was last asked about it' }),
    createdAt: z.string(),
  })
  .openapi('ReplicationExecution');
export const ReplicationExecutionPageSchema = z.object({ items: z.array(ReplicationExecutionSchema), nextCursor: z.string().nullable() }).openapi('ReplicationExecutionPage');
