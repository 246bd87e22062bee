import { z } from '@hono/zod-openapi';
import { LOCATION_STATUSES } from '../../lib/replication';
import { line, singleLine } from '../../lib/text';

export const VersionLocationSchema = z
  .object({
    remoteRegistry: z.string().openapi({ description: 'The remote registry (endpoint) name' }),
    remoteRepository: z.string().openapi({ description: '`<namespace>/<model>` on the remote side' }),
    digest: z.string().nullable().openapi({ description: 'The digest the remote served for the tag when last checked' }),
    status: z.enum(LOCATION_STATUSES),
    detail: z.string().nullable(),
    harborExecutionId: z.number().int().nullable().openapi({ description: "Harbor's replication execution that copied it, when one did" }),
    updatedAt: z.string(),
  })
  .openapi('VersionLocation');

export const ApprovalSchema = z
  .object({
    approved: z.boolean(),
    digest: z.string().openapi({ description: 'The image (digest) the tag pointed to, which the approval is of' }),
    approvedBy: z.string().nullable(),
    approvedAt: z.string().nullable(),
  })
  .openapi('Approval');

export const PromotionCreateSchema = z
  .object({
    // Marked: a body's `registry` is otherwise documented as a managed Harbor instance (api/document.ts).
    registry: line().min(1).max(255).openapi({ description: 'The remote registry (endpoint) to promote to', example: 'prod-registry', 'x-remote-registry': true }),
    // The namespace's pattern first, so that it is the documented one (it has no control character either).
    namespace: z
      .string()
      .min(1)
      .max(255)
      .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/, 'a lower-case repository namespace')
      .check(singleLine)
      .optional()
      .openapi({ description: "The namespace on the remote side; default: the project's name" }),
    approvalTimeoutSeconds: z
      .number()
      .int()
      .min(1)
      .max(90 * 24 * 3600)
      .optional()
      .openapi({ description: 'How long to wait for an approval; default 7 days' }),
  })
  .strict()
  .openapi('PromotionRequest');

export const PromotionSchema = z
  .object({
    registry: z.string(),
    project: z.string(),
    model: z.string(),
    tag: z.string(),
    remote: z.string(),
    remoteRepository: z.string(),
    digest: z.string(),
    copied: z.boolean().openapi({ description: 'False when the remote already served the tag with this digest' }),
    executionId: z.uuid().nullable(),
    status: z.literal('present'),
  })
  .openapi('Promotion');

export const RemoteModelSchema = z
  .object({
    project: z.string(),
    model: z.string(),
    tag: z.string(),
    remoteRepository: z.string(),
    digest: z.string().nullable(),
    status: z.enum(LOCATION_STATUSES),
    detail: z.string().nullable(),
    harborExecutionId: z.number().int().nullable(),
    updatedAt: z.string(),
  })
  .openapi('RemoteModelVersion');

export const RemoteModelPageSchema = z.object({ items: z.array(RemoteModelSchema), nextCursor: z.string().nullable() }).openapi('RemoteModelVersionPage');
