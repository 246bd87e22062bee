import { z } from '@hono/zod-openapi';
import { projectName, resourceName, robotDurationDays, robotName } from '../../lib/names';
import { line, text } from '../../lib/text';
import { PageQuery, queryFlag, RegistryQuery, SortQuery } from './common';
import { ReplicationRuleCreateSchema } from './replications';

export const ROLE_IDS = { projectAdmin: 1, developer: 2, guest: 3, maintainer: 4, limitedGuest: 5 } as const;
export const RoleSchema = z.enum(['projectAdmin', 'developer', 'guest', 'maintainer', 'limitedGuest']).openapi({ description: 'Harbor project role' });

const settingsShape = {
  autoScan: z.boolean().optional().openapi({ description: 'Scan every pushed artifact' }),
  contentTrustCosign: z.boolean().optional().openapi({ description: 'Only signed (cosign) artifacts may be pulled' }),
  preventVulnerable: z.boolean().optional().openapi({ description: 'Block pulls of artifacts at or above `severity`' }),
  severity: z.enum(['none', 'low', 'medium', 'high', 'critical']).optional(),
};
export const SettingsSchema = z.object(settingsShape).strict().openapi('ProjectSettings');

export const MemberSchema = z.object({ group: line().min(1).max(255).openapi({ example: 'acme-ml-developers' }), role: RoleSchema }).strict().openapi('ProjectMember');

export const ProjectCreateSchema = z
  .object({
    name: projectName.openapi({ example: 'my-first-project' }),
    display_name: line().trim().min(1).max(255).openapi({ example: 'My First Project' }),
    tenantId: resourceName.openapi({ example: 'my_tenant', description: 'An existing tenant' }),
    description: text().max(2048).optional(),
    public: z.boolean().default(false),
    storage_limit: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional().openapi({ description: 'Quota in bytes; -1 for unlimited' }),
    members: z.array(MemberSchema).max(100).default([]).openapi({ description: 'OIDC groups and their roles' }),
    robot: z
      .union([z.boolean(), z.object({ name: robotName.optional(), durationDays: robotDurationDays.optional() }).strict()])
      .optional()
      .openapi({ description: 'Create a project robot; its secret is shown once in this response' }),
    registry: line().min(1).max(255).optional().openapi({ description: 'Harbor instance (registry address); the default one when omitted' }),
    settings: SettingsSchema.optional(),
    replications: z
      .array(ReplicationRuleCreateSchema)
      .max(20)
      .superRefine((rules, ctx) => {
        rules.forEach((r, i) => {
          if (rules.findIndex((o) => o.name === r.name) < i) ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `a rule "${r.name}" is named twice` });
        });
      })
      .optional()
      .openapi({ description: 'Replication rules created with the project, after its webhook policy (as `POST /projects/{name}/replications` takes them)' }),
  })
  .strict()
  .openapi('ProjectCreate');

export const ProjectSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    displayName: z.string(),
    description: z.string().nullable(),
    public: z.boolean(),
    tenantId: z.string(),
    registry: z.string(),
    harborId: z.number().int().nullable(),
    storageLimit: z.number().int().nullable(),
    // Not SettingsSchema.nullable(): that marks the shared component nullable, in requests too.
    settings: z.object(settingsShape).nullable(),
    archived: z.boolean(),
    deletedAt: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Project');

export const ProjectCreatedSchema = ProjectSchema.extend({
  robot: z
    .object({ name: z.string(), secret: z.string().openapi({ description: 'Shown once; stored only encrypted' }), expiresAt: z.number().int() })
    .optional(),
}).openapi('ProjectCreated');

export const HarborSummarySchema = z
  .object({
    repoCount: z.number().int().openapi({ description: "Harbor's repository (model) count" }),
    quotaHard: z.number().nullable().openapi({ description: 'Storage quota in bytes; -1 for unlimited' }),
    quotaUsed: z.number().nullable().openapi({ description: 'Storage used in bytes' }),
    refreshedAt: z.string().openapi({ description: 'When these figures were fetched from Harbor (onboarding, registration, refresh, the hourly reconciliation, a quota webhook)' }),
  })
  .openapi('ProjectHarborSummary');

export const ProjectDetailSchema = ProjectSchema.extend({
  harbor: HarborSummarySchema.nullable().openapi({ description: 'Harbor\'s figures as the catalogue last recorded them; null for an archived project or before the first recording' }),
}).openapi('ProjectDetail');

export const ProjectPageSchema = z.object({ items: z.array(ProjectSchema), nextCursor: z.string().nullable() }).openapi('ProjectPage');

export const ProjectRegisterSchema = ProjectCreateSchema.omit({ robot: true, replications: true }).openapi('ProjectRegister');

export const ProjectRegisteredSchema = ProjectSchema.extend({
  imported: z.object({ models: z.number().int(), images: z.number().int(), tags: z.number().int() }),
}).openapi('ProjectRegistered');

export const ProjectPatchSchema = z
  .object({
    display_name: line().trim().min(1).max(255).optional(),
    description: text().max(2048).nullable().optional(),
    public: z.boolean().optional(),
    storage_limit: z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER).optional(),
    settings: SettingsSchema.optional(),
    members: z.array(MemberSchema).max(100).optional().openapi({ description: 'Replaces the OIDC group members' }),
  })
  .strict()
  .refine((v) => Object.keys(v).length > 0, { message: 'at least one field to change' })
  .meta({ minProperties: 1 }) // the refine, in the document
  .openapi('ProjectPatch');

export const ProjectListQuery = PageQuery.extend({
  tenantId: line().max(255).optional(),
  namePrefix: line().max(255).optional(),
  archived: queryFlag(),
  registry: line().max(255).optional(),
  sort: SortQuery,
});

export const ProjectDeleteQuery = RegistryQuery.extend({
  purge: queryFlag(),
  force: queryFlag().openapi({ description: 'With purge: delete its artifacts too' }),
});
