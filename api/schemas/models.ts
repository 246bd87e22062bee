import { z } from '@hono/zod-openapi';
import { ApprovalSchema, VersionLocationSchema } from './promotions';
import { FULL_NAME_PATTERN } from '../../lib/names';
import { keyedRecord, line, singleLine, text } from '../../lib/text';
import { PageQuery, RegistryQuery, SortQuery, queryFlag } from './common';

export const ModelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.string().openapi({ description: 'Model type code (`unknown` when the artifact does not say)' }),
    project: z.string(),
    registry: z.string(),
    displayName: z.string().nullable(),
    description: z.string().nullable(),
    author: z.string().nullable(),
    organization: z.string().nullable(),
    license: z.string().nullable(),
    url: z.string().nullable(),
    labels: z.array(z.string()),
    archived: z.boolean(),
    createdAt: z.string().nullable(),
  })
  .openapi('Model');
const VersionSchema = z.object({ tag: z.string(), semver: z.boolean(), digest: z.string() }).openapi('ModelVersion');
export const ModelDetailSchema = ModelSchema.extend({
  versions: z.array(VersionSchema).openapi({ description: 'Semantic versions in order (pre-releases first), then other tags' }),
  customMetadata: z.record(z.string(), z.string()).openapi({ description: 'Set by users (PATCH); kept across pushes and refreshes' }),
}).openapi('ModelDetail');
export const ModelPageSchema = z.object({ items: z.array(ModelSchema), nextCursor: z.string().nullable() });

export const ModelPatchSchema = z
  .object({
    description: text().max(4096).optional(),
    labels: z.array(line().min(1).max(255)).max(100).optional().openapi({ example: ['team=nlp', 'approved'] }),
    customMetadata: keyedRecord(255, text().max(4096)).optional().openapi({ example: { owner: 'ml-platform' } }),
  })
  .strict()
  .refine((b) => b.description !== undefined || b.labels !== undefined || b.customMetadata !== undefined, { message: 'set at least one of description, labels, customMetadata' })
  .meta({ minProperties: 1 }) // the refine, in the document
  .openapi('ModelPatch');

export const ModelListQuery = PageQuery.merge(RegistryQuery).extend({
  namePrefix: line().max(255).optional(),
  author: line().max(255).optional(),
  type: line().max(150).optional().openapi({ description: 'Model type code, e.g. `text-generation`' }),
  label: line().max(255).optional().openapi({ description: 'Models carrying this label' }),
  hasSignature: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')).openapi({ description: 'Models with (or without) a signed live image' }),
  scanSeverity: z
    .string()
    .max(100)
    // Lowercased first: the document states the pattern without a regex's flags.
    .toLowerCase()
    .regex(/^(none|unknown|low|medium|high|critical)(,(none|unknown|low|medium|high|critical))*$/, 'a comma list of none, unknown, low, medium, high, critical')
    .check(singleLine)
    .optional()
    .openapi({ description: 'Models with a live image whose scan found one of these severities, e.g. `high,critical`' }),
  sort: SortQuery,
  archived: queryFlag(),
});

export const VersionDetailSchema = z
  .object({
    model: z.string(),
    project: z.string(),
    tag: z.string(),
    digest: z.string(),
    fullName: z.string(),
    manifest: z.unknown().nullable(),
    metadata: z.array(z.unknown()).openapi({ description: 'A tree of {name, value, children}: runtime, layers, datasets, labels' }),
    approval: ApprovalSchema.openapi({ description: 'Whether the image the tag points to is approved for promotion, by whom and when' }),
    locations: z.array(VersionLocationSchema).openapi({ description: 'Where the version lives on remote registries (promoted or synchronized)' }),
  })
  .openapi('ModelVersionDetail');

export const ResolveQuery = z.object({ name: z.string().min(3).max(1024).regex(FULL_NAME_PATTERN).check(singleLine).openapi({ example: 'harbor.example.com/my-project/llama:1.2.0' }) });
export const ResolvedSchema = z
  .object({
    registry: z.string(),
    project: z.string(),
    model: z.string(),
    tag: z.string().nullable(),
    digest: z.string().nullable(),
    tags: z.array(z.string()).openapi({ description: 'Every live tag of the digest (with a digest or tag reference)' }),
    fullName: z.string(),
    links: z.object({ model: z.string(), version: z.string().nullable() }),
  })
  .openapi('ResolvedModelName');

export const AuditSchema = z
  .object({
    model: z.string(),
    scans: z.array(z.object({ digest: z.string(), tag: z.string(), scanner: z.string().nullable(), status: z.string().nullable(), severity: z.string().nullable(), summary: z.unknown().nullable(), endTime: z.string().nullable() })),
    signatures: z.array(z.object({ digest: z.string(), signature: z.string(), type: z.string() })),
    events: z.array(z.object({ action: z.string(), actor: z.string().nullable(), occurredAt: z.string(), details: z.unknown() })),
  })
  .openapi('ModelAudit');

export const RefreshResultSchema = z
  .object({ repositories: z.array(z.object({ name: z.string(), added: z.number().int(), updated: z.number().int(), archived: z.number().int() })) })
  .openapi('RefreshResult');
