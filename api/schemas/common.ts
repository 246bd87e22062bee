import { z } from '@hono/zod-openapi';
import { line, singleLine } from '../../lib/text';

export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ field: z.string(), message: z.string(), code: z.string() }))
      .optional(),
  })
  .openapi('Problem');

export const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

export const problem = (description: string) => ({ description, content: problemContent });

/** A JSON answer of a route definition. */
export const json = <S>(description: string, schema: S) => ({ description, content: { 'application/json': { schema } } });

/** A required JSON request body of a route definition. */
export const jsonBody = <S>(schema: S) => ({ required: true, content: { 'application/json': { schema } } });

/** The same answer in an already generated document, which refers to the Problem component. */
export const problemInDocument = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

export const OperationSchema = z
  .object({
    id: z.string(),
    kind: z.string().openapi({ description: 'Workflow type behind the operation' }),
    status: z.enum(['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out']),
    startedAt: z.string().nullable(),
    closedAt: z.string().nullable(),
    result: z.unknown().optional(),
    problem: ProblemSchema.optional(),
    progress: z.unknown().optional().openapi({ description: 'How far a running operation is (warm, cache purge, cleanup run, storage reclaim, promotion, replication execution): its workflow\'s progress query' }),
  })
  .openapi('Operation');

export const acceptedResponse = {
  description: 'Still running after the wait bound: follow `Location` to the operation',
  headers: z.object({ Location: z.string() }),
  content: { 'application/json': { schema: OperationSchema } },
};

export const IdempotencyKeyHeader = z.object({
  'idempotency-key': line()
    .min(1)
    .max(255)
    .optional()
    .openapi({ description: 'A retried request with the same key joins the first one instead of starting again' }),
});

/** Cursor pagination shared by every list. */
export const PageQuery = z.object({
  limit: z.coerce.number({ error: 'must be a whole number from 1 to 500' }).int().min(1).max(500).default(50).openapi({ description: 'Page size (1–500)' }),
  cursor: z
    .string()
    .max(512)
    .regex(/^[A-Za-z0-9_-]+$/)
    .check(singleLine)
    .optional()
    .openapi({ description: 'Opaque cursor from the previous page\'s `nextCursor` (base64url); one that holds no position of this list is refused with 400' }),
});

/** `?registry=`: a managed Harbor instance, the first one when absent (the document lists them). */
export const RegistryQuery = z.object({ registry: line().max(255).optional() });

/** A name in a path: tenant, project, model, robot, checkpoint. */
export const pathName = () => line().min(1).max(255);
export const NameParams = z.object({ name: pathName() });
export const ModelParams = z.object({ project: pathName(), model: pathName() });
export const VersionParams = ModelParams.extend({ tag: line().min(1).max(128) });

/** A `true`/`false` query flag, false when absent. */
export const queryFlag = () => z.enum(['true', 'false']).default('false').transform((v) => v === 'true');

/** The order of a keyset list. */
export const SortQuery = z.enum(['name', '-name', 'createdAt', '-createdAt']).default('name');
