import { z } from '@hono/zod-openapi';
import { line } from '../../lib/text';

/** A storage reclaim's id: the operation id its start answered. */
export const StorageReclaimParams = z.object({ id: line().min(1).max(2048) });

export const StorageReclaimRequestSchema = z
  .object({
    registry: line().min(1).max(255).optional().openapi({ description: 'The managed Harbor instance; default: the first configured' }),
    deleteUntagged: z.boolean().default(true).openapi({ description: "Harbor deletes untagged artifacts first (GC's delete_untagged)" }),
    dryRun: z.boolean().default(false).openapi({ description: "Only Harbor's dry run: reports what would be freed, deletes nothing" }),
  })
  .strict()
  .openapi('StorageReclaimRequest');

const GcRunSchema = z
  .object({
    gcId: z.number().int().openapi({ description: "Harbor's id of the GC run (/system/gc/{id})" }),
    dryRun: z.boolean(),
    status: z.string().openapi({ description: "Harbor's job status: Pending, Running, Success, Error, Stopped" }),
    finished: z.boolean(),
    freedBytes: z.number().int().openapi({ description: "What Harbor freed (a dry run: would free), from the run's job_parameters" }),
    purgedBlobs: z.number().int(),
    purgedManifests: z.number().int(),
  })
  .openapi('GcRun');

export const StorageReclaimAcceptedSchema = z
  .object({
    id: z.string().openapi({ description: 'The operation id of the run; GET /api/v1/cleanup/gc/{id} reads it' }),
    status: z.string().openapi({ description: 'Where to read its progress and result' }),
  })
  .openapi('StorageReclaimAccepted');

export const StorageReclaimSchema = z
  .object({
    id: z.string(),
    registry: z.string().nullable(),
    state: z.enum(['running', 'completed', 'failed', 'canceled', 'terminated', 'timed_out']),
    stage: z.enum(['dry-run', 'run', 'done']).nullable().openapi({ description: 'The GC stage running now; null once closed unsuccessfully' }),
    dryRun: GcRunSchema.nullable(),
    run: GcRunSchema.nullable(),
    problem: z.unknown().optional().openapi({ description: 'Why it stopped (its `stage` says where)' }),
  })
  .openapi('StorageReclaim');
