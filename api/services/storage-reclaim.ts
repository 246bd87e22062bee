import type { z } from '@hono/zod-openapi';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { OperationKind } from '../../lib/search-attributes';
import { storageReclaimWorkflowId } from '../../lib/workflow-ids';
import { storageReclaimWorkflow } from '../../workflows';
import type { Actor } from '../../workflows/actor';
import { storageReclaimProgressQuery, type StorageReclaimProgress, type StorageReclaimResult } from '../../workflows/storage-reclaim';
import { decodeOperationId, encodeOperationId, failureToProblem, PROGRESS_QUERY_MS, runMutation, type MutationDeps } from '../operations';
import { problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { StorageReclaimRequestSchema, StorageReclaimSchema } from '../schemas/storage-reclaim';

export type StorageReclaimView = z.infer<typeof StorageReclaimSchema>;

/** Where a storage reclaim's progress and result are read over REST. */
export const storageReclaimUrl = (id: string) => `/api/v1/cleanup/gc/${id}`;

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
  // A closed run answers the query from its history (replayed by a worker); without one (in 2 s) it shows no stage.
  const progress: StorageReclaimProgress | undefined = await client.withDeadline(Date.now() + PROGRESS_QUERY_MS, () => handle.query(storageReclaimProgressQuery)).catch(() => undefined);
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

/** Storage reclaim (Harbor's GC) for platform administrators, for every transport: the authorization lets only them through. */
export function createStorageReclaimService(deps: { mutations: MutationDeps; registries: string[] }) {
  return {
    /**
     * Starts (or joins) a reclaim and answers at once with its id: a GC takes minutes to hours.
     * Another one of the instance running, or a joined one that failed: its problem, with where to read it.
     */
    async start(body: z.infer<typeof StorageReclaimRequestSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const registry = managedRegistry(deps.registries, body.registry, 'body.registry');
      const outcome = await runMutation({ ...deps.mutations, mutationWaitMs: 0 }, storageReclaimWorkflow, {
        workflowId: storageReclaimWorkflowId(registry),
        args: [{ registry, deleteUntagged: body.deleteUntagged, dryRun: body.dryRun, actor }],
        idempotencyKey,
        searchAttributes: [{ key: OperationKind, value: 'storage-reclaim' }],
      });
      if (outcome.state === 'busy' || outcome.state === 'failed') throw new ProblemError(outcome.problem, { Location: storageReclaimUrl(outcome.operationId) });
      return { id: outcome.operationId, status: storageReclaimUrl(outcome.operationId) };
    },

    async get(id: string) {
      const ids = decodeOperationId(id);
      const view = ids && (await readReclaim(deps.mutations.client, ids.workflowId, ids.runId));
      if (!view) throw new ProblemError(problemBody(404, 'not-found', 'Storage reclaim not found', `no storage reclaim "${id}"`));
      return view;
    },
  };
}
export type StorageReclaimService = ReturnType<typeof createStorageReclaimService>;
