import { z } from '@hono/zod-openapi';
import { CHECKPOINT_URI } from '../../lib/checkpoints';
import { keyedRecord, line, singleLine, text } from '../../lib/text';

export const CheckpointSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    tag: z.string(),
    uri: z.string(),
    format: z.string().nullable(),
    framework: z.string().nullable(),
    step: z.number().int().nullable(),
    epoch: z.number().int().nullable(),
    metrics: z.record(z.string(), z.number()).nullable(),
    description: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Checkpoint');
export const CheckpointPageSchema = z.object({ items: z.array(CheckpointSchema), nextCursor: z.string().nullable() });

const fields = {
  uri: z.string().max(2048).regex(CHECKPOINT_URI, 'must be an s3://, gs://, az://, http(s)://, hf://, oci:// or asset:// URI').check(singleLine),
  format: line().min(1).max(100).optional(),
  framework: line().min(1).max(100).optional(),
  step: z.number().int().min(0).optional(),
  epoch: z.number().int().min(0).optional(),
  metrics: keyedRecord(100, z.number()).optional(),
  description: text().max(4096).optional(),
};

export const CheckpointCreateSchema = z
  .object({ name: z.string().min(1).max(255).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'letters, digits, ".", "_", "-"').check(singleLine), ...fields })
  .strict()
  .openapi('CheckpointCreate');
export const CheckpointPatchSchema = z
  .object({ uri: fields.uri.optional(), ...Object.fromEntries(Object.entries(fields).filter(([k]) => k !== 'uri')) } as { uri: z.ZodOptional<typeof fields.uri> } & Omit<typeof fields, 'uri'>)
  .strict()
  .refine((b) => Object.keys(b).length > 0, { message: 'set at least one field' })
  .meta({ minProperties: 1 }) // the refine, in the API's document
  .openapi('CheckpointPatch');
