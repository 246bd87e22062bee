import { createRoute, z } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { IdempotencyKeyHeader, json, problem } from '../schemas/common';
import { StorageReclaimAcceptedSchema, StorageReclaimParams, StorageReclaimRequestSchema, StorageReclaimSchema } from '../schemas/storage-reclaim';
import type { StorageReclaimService } from '../services/storage-reclaim';

const tags = ['Cleanup'];

const start = createRoute({
  method: 'post',
  path: '/cleanup/gc',
  tags,
  summary: "Reclaim a Harbor instance's storage: Harbor's garbage collection, dry run first, then (unless dryRun) the real run",
  description:
    'Platform administrators only. One at a time per Harbor instance: the same request while one runs joins it (202 with its id), a different one gets 409 naming the running one.',
  request: { headers: IdempotencyKeyHeader, body: { required: false, content: { 'application/json': { schema: StorageReclaimRequestSchema } } } },
  responses: {
    202: { ...json('Started (or joined): follow `status`', StorageReclaimAcceptedSchema), headers: z.object({ Location: z.string() }) },
    400: problem('Invalid body'),
    409: problem('Another storage reclaim of this Harbor instance is running'),
  },
});
const read = createRoute({
  method: 'get',
  path: '/cleanup/gc/{id}',
  tags,
  summary: 'A storage reclaim: its stage and GC runs while running, what Harbor freed once done, or where it stopped',
  request: { params: StorageReclaimParams },
  responses: { 200: json('The storage reclaim', StorageReclaimSchema), 404: problem('No such storage reclaim') },
});

/** Storage reclaim (Harbor's GC) over REST: the storage reclaim service layer (api/services/storage-reclaim.ts). */
export function createStorageReclaimRouter(deps: { storageReclaim: StorageReclaimService }) {
  const router = createRouter();

  router.openapi(start, async (c) => {
    // The body is optional: without one, its defaults (a real run after the dry run, untagged deleted).
    const body = StorageReclaimRequestSchema.parse(c.req.valid('json') ?? {});
    const accepted = await deps.storageReclaim.start(body, actorOf(c), idempotencyKeyOf(c));
    return c.json(accepted, 202, { Location: accepted.status });
  });

  router.openapi(read, async (c) => c.json(await deps.storageReclaim.get(c.req.valid('param').id), 200));

  return router;
}
