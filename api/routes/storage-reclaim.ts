import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OperationKind } from '../../lib/search-attributes';
import { storageReclaimWorkflowId } from '../../lib/workflow-ids';
import { storageReclaimWorkflow } from '../../workflows';
import { storageReclaimProgressQuery, type StorageReclaimProgress, type StorageReclaimResult } from '../../workflows/storage-reclaim';
import { actorOf } from '../auth/context';
import { decodeOperationId, encodeOperationId, failureToProblem, runMutation, type MutationDeps } from '../operations';
import { notFoundProblem, problemResponse } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { IdempotencyKeyHeader, json, problem } from '../schemas/common';
import { StorageReclaimAcceptedSchema, StorageReclaimRequestSchema, StorageReclaimSchema } from '../schemas/storage-reclaim';
import { line } from '../../lib/text';

const tags = ['Cleanup'];
const statusUrl = (id: string) => `/api/v1/cleanup/gc/${id}`;

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
  request: { params: z.object({ id: line().min(1).max(2048) }) },
  responses: { 200: json('The storage reclaim', StorageReclaimSchema), 404: problem('No such storage reclaim') },
});

type StorageReclaimView = z.infer<typeof StorageReclaimSchema>;

/** Progress by query while it runs, the result once done, the problem (naming the stage) when it stopped. */
async function readReclaim(client: Client, workflowId: string, runId: string): Promise<StorageReclaimView | null> {
  const handle = client.workflow.getHandle<typeof storageReclaimWorkflow>(workflowId, runId, { followRuns: false });
  let description;
  try {
    description = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
  if (description.type !== storageReclaimWorkflow.name) return null;
  const id = encodeOperationId(workflowId, description.runId);
  const state = (description.status.name === 'RUNNING' ? 'running' : description.status.name === 'COMPLETED' ? 'completed' : description.status.name.toLowerCase().replace('cancelled', 'canceled')) as StorageReclaimView['state'];
  if (state === 'completed') {
    const result: StorageReclaimResult = await handle.result();
    return { id, registry: result.registry, state, stage: 'done', dryRun: result.dryRun, run: result.run ?? null };
  }
  // A closed run answers the query from its history (replayed by a worker); without one it shows no stage.
  const progress: StorageReclaimProgress | undefined = await handle.query(storageReclaimProgressQuery).catch(() => undefined);
  const view: StorageReclaimView = {
    id,
    registry: progress?.registry ?? null,
    state,
    stage: state === 'running' ? (progress?.stage ?? null) : null,
    dryRun: progress?.dryRun ?? null,
    run: progress?.run ?? null,
  };
  if (state !== 'running') view.problem = await handle.result().then(() => undefined, (err: unknown) => failureToProblem(err));
  return view;
}

/** Storage reclaim (Harbor's GC) for platform administrators: the middleware lets only them through. */
export function createStorageReclaimRouter(deps: { mutations: MutationDeps; registries: string[] }) {
  const router = createRouter();

  router.openapi(start, async (c) => {
    // The body is optional: without one, its defaults (a real run after the dry run, untagged deleted).
    const body = StorageReclaimRequestSchema.parse(c.req.valid('json') ?? {});
    const registry = managedRegistry(deps.registries, body.registry, 'body.registry');
    // Answered at once: a GC takes minutes to hours; the status URL follows it.
    const outcome = await runMutation({ ...deps.mutations, mutationWaitMs: 0 }, storageReclaimWorkflow, {
      workflowId: storageReclaimWorkflowId(registry),
      args: [{ registry, deleteUntagged: body.deleteUntagged, dryRun: body.dryRun, actor: actorOf(c) }],
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: [{ key: OperationKind, value: 'storage-reclaim' }],
    });
    if (outcome.state === 'busy' || outcome.state === 'failed') {
      return problemResponse(c, outcome.problem, { Location: statusUrl(outcome.operationId) });
    }
    return c.json({ id: outcome.operationId, status: statusUrl(outcome.operationId) }, 202, { Location: statusUrl(outcome.operationId) });
  });

  router.openapi(read, async (c) => {
    const { id } = c.req.valid('param');
    const ids = decodeOperationId(id);
    const view = ids && (await readReclaim(deps.mutations.client, ids.workflowId, ids.runId));
    if (!view) return notFoundProblem(c, 'Storage reclaim not found', `no storage reclaim "${id}"`);
    return c.json(view, 200);
  });

  return router;
}
