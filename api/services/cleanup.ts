import { randomUUID } from 'node:crypto';
import type { z } from '@hono/zod-openapi';
import { isGrpcDeadlineError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findActiveCleanupRun, findCleanupRun, findProjectCleanupPolicy, findTenantCleanupPolicy, listCleanupRuns, type CleanupRunRecord } from '../../db/queries/cleanup';
import { findLiveProject, type ProjectRecord } from '../../db/queries/projects';
import { findTenant } from '../../db/queries/tenants';
import type { CleanupPolicy } from '../../lib/cleanup/types';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { cleanupCandidatesWorkflowId, cleanupPolicyWorkflowId, cleanupRunWorkflowId, cleanupTenantCandidatesWorkflowId, cleanupTenantPolicyWorkflowId } from '../../lib/workflow-ids';
import {
  cleanupApproveUpdate,
  cleanupCancelSignal,
  cleanupCandidatesWorkflow,
  cleanupClaimUpdate,
  cleanupPolicyDeleteWorkflow,
  cleanupPolicyWorkflow,
  cleanupProgressQuery,
  cleanupRunWorkflow,
  cleanupTenantCandidatesWorkflow,
  cleanupTenantPolicyWorkflow,
  policyInForce,
  type CleanupProgress,
} from '../../workflows';
import type { Actor } from '../../workflows/actor';
import { failureToProblem, PROGRESS_QUERY_MS, type MutationDeps } from '../operations';
import { decodeCursor, decodeSortKey, encodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { PageQuery } from '../schemas/common';
import type { CleanupRunStartSchema } from '../schemas/cleanup';
import { mutate } from './mutation';

/** A project as a request names it: `registry` as asked (the default instance when absent). */
export interface CleanupProjectRef {
  project: string;
  registry: string | undefined;
}

const ACTIVE = new Set(['preparing', 'awaiting_approval', 'running']);

/**
 * An Update's call ended with no answer: our deadline passed, or the call was cancelled (a worker
 * killed with it in hand, seen in CI as a 500). It may still be taken once a worker runs.
 */
const notTakenInTime = (err: unknown) => err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err);

/** REST's 409 for a run whose state refuses the request (active, not waiting, ended): FailedPrecondition's problem type (lib/failure-types.ts). */
const refused = (title: string, detail: string, extra: Record<string, unknown> = {}) => new ProblemError(problemBody(409, 'failed-precondition', title, detail, extra));

/** A started run whose row is not written yet, as its claim will write it. */
const unclaimed = (id: string, workflowId: string, project: ProjectRecord, dryRun: boolean, requestedBy: string): CleanupRunRecord => ({
  id,
  workflowId,
  projectId: project.id,
  trigger: 'manual',
  dryRun,
  mode: 'report',
  status: 'preparing',
  requestedBy,
  approvedBy: null,
  total: 0,
  done: 0,
  bytesFreed: 0,
  summary: null,
  report: null,
  detail: 'starting: not claimed yet',
  startedAt: new Date().toISOString(),
  endedAt: null,
});

/**
 * Cleanup policies, candidates and runs, for every transport: writes and Harbor reads by
 * workflows; policies and runs read from the catalogue.
 */
export function createCleanupService(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const { client, taskQueue } = deps.mutations;
  const attributes = (project: ProjectRecord, kind: string) => [
    { key: TenantName, value: project.tenantId },
    { key: ProjectName, value: project.name },
    { key: OperationKind, value: kind },
  ];
  const run = <W extends Workflow>(workflowId: string, searchAttributes: ReturnType<typeof attributes>, workflowFn: W, args: Parameters<W>, idempotencyKey: string | undefined) =>
    mutate(deps.mutations, workflowFn, { workflowId, args, idempotencyKey, searchAttributes }, (result: WorkflowResultType<W>) => result);

  async function projectOf(ref: CleanupProjectRef): Promise<{ project: ProjectRecord; registry: string }> {
    const registry = managedRegistry(deps.registries, ref.registry);
    const project = await findLiveProject(deps.db, registry, ref.project);
    if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${ref.project}" in ${registry}`));
    return { project, registry };
  }
  async function tenantOf(name: string): Promise<void> {
    if (!(await findTenant(deps.db, name))) throw new ProblemError(problemBody(404, 'not-found', 'Tenant not found', `no tenant named "${name}"`));
  }
  async function runOf(ref: CleanupProjectRef, id: string): Promise<{ project: ProjectRecord; registry: string; run: CleanupRunRecord }> {
    const found = await projectOf(ref);
    const row = await findCleanupRun(deps.db, found.project.id, id);
    if (!row) throw new ProblemError(problemBody(404, 'not-found', 'Cleanup run not found', `project "${ref.project}" has no cleanup run ${id}`));
    return { ...found, run: row };
  }
  /** The workflow's progress of an active run; none once it has closed (the row then says it all). */
  async function progressOf(row: CleanupRunRecord): Promise<CleanupProgress | undefined> {
    if (!ACTIVE.has(row.status)) return undefined;
    try {
      // Bounded: a query waits for a worker, and the row answers without one.
      return await client.withDeadline(Date.now() + PROGRESS_QUERY_MS, () => client.workflow.getHandle(row.workflowId).query(cleanupProgressQuery));
    } catch {
      return undefined;
    }
  }
  const withProgress = async (row: CleanupRunRecord) => {
    const progress = await progressOf(row);
    return { ...row, ...(progress ? { progress } : {}) };
  };

  return {
    async getPolicy(ref: CleanupProjectRef) {
      const { project } = await projectOf(ref);
      const [own, tenantDefault] = await Promise.all([findProjectCleanupPolicy(deps.db, project.id), findTenantCleanupPolicy(deps.db, project.tenantId)]);
      return policyInForce({ own, tenantDefault });
    },

    async putPolicy(ref: CleanupProjectRef, policy: CleanupPolicy, actor: Actor, idempotencyKey: string | undefined) {
      const { project, registry } = await projectOf(ref);
      return run(cleanupPolicyWorkflowId(registry, project.name), attributes(project, 'cleanup.policy'), cleanupPolicyWorkflow, [{ registry, project: project.name, policy, actor }], idempotencyKey);
    },

    async deletePolicy(ref: CleanupProjectRef, actor: Actor, idempotencyKey: string | undefined) {
      const { project, registry } = await projectOf(ref);
      return run(cleanupPolicyWorkflowId(registry, project.name), attributes(project, 'cleanup.policy'), cleanupPolicyDeleteWorkflow, [{ registry, project: project.name, actor }], idempotencyKey);
    },

    async getTenantPolicy(tenant: string) {
      await tenantOf(tenant);
      return policyInForce({ own: null, tenantDefault: await findTenantCleanupPolicy(deps.db, tenant) });
    },

    async putTenantPolicy(tenant: string, policy: CleanupPolicy, actor: Actor, idempotencyKey: string | undefined) {
      await tenantOf(tenant);
      return mutate(
        deps.mutations,
        cleanupTenantPolicyWorkflow,
        {
          workflowId: cleanupTenantPolicyWorkflowId(tenant),
          args: [{ tenant, policy, actor }],
          idempotencyKey,
          searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: 'cleanup.policy' }],
        },
        (result) => result,
      );
    },

    /** A window of the report (the policy in force, or `policy`): candidates and protected versions paged by position (the cursor), totals of all. */
    async candidates(ref: CleanupProjectRef, q: Pick<z.infer<typeof PageQuery>, 'limit' | 'cursor'>, policy: CleanupPolicy | undefined, idempotencyKey: string | undefined) {
      const offset = q.cursor === undefined ? 0 : Number(decodeCursor(q.cursor) ?? NaN);
      if (!Number.isInteger(offset) || offset < 0) throw new ProblemError(invalidCursor());
      const { project, registry } = await projectOf(ref);
      return mutate(
        deps.mutations,
        cleanupCandidatesWorkflow,
        {
          workflowId: cleanupCandidatesWorkflowId(registry, project.name, randomUUID()),
          args: [{ registry, project: project.name, offset, limit: q.limit, ...(policy ? { policy } : {}) }],
          idempotencyKey,
          searchAttributes: attributes(project, 'cleanup.candidates'),
        },
        ({ candidates: items, nextOffset, ...rest }) => ({ ...rest, items, nextCursor: nextOffset === null ? null : encodeCursor(String(nextOffset)) }),
      );
    },

    async tenantCandidates(tenant: string) {
      await tenantOf(tenant);
      return mutate(
        deps.mutations,
        cleanupTenantCandidatesWorkflow,
        {
          workflowId: cleanupTenantCandidatesWorkflowId(tenant, randomUUID()),
          args: [{ tenant }],
          searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: 'cleanup.candidates' }],
        },
        (result) => result,
      );
    },

    /**
     * Starts the run and waits for its claim (an Update answered once its row is written): the
     * project's active run, whether seen here first or met by the claim in a race, is a 409 naming
     * it. Not claimed within the wait (a busy worker): the run is started, answered as it will start.
     */
    async startRun(ref: CleanupProjectRef, body: Partial<z.infer<typeof CleanupRunStartSchema>> | undefined, actor: Actor): Promise<{ run: CleanupRunRecord; location: string }> {
      const { project, registry } = await projectOf(ref);
      // The body is optional: without one, a dry run.
      const dryRun = body?.dryRun ?? true;
      const wait = body?.approvalTimeoutSeconds === undefined ? {} : { approvalTimeoutSeconds: body.approvalTimeoutSeconds };
      const activeConflict = (active: CleanupRunRecord | null) =>
        refused('A cleanup run is active', `cleanup run ${active?.id ?? '(ending)'} of "${project.name}" is ${active?.status ?? 'active'}`, active ? { activeRun: active.id } : {});
      const active = await findActiveCleanupRun(deps.db, project.id);
      if (active) throw activeConflict(active);
      const runId = randomUUID();
      const workflowId = cleanupRunWorkflowId(registry, project.name, runId);
      const handle = await client.workflow.start(cleanupRunWorkflow, {
        workflowId,
        taskQueue,
        args: [{ registry, project: project.name, runId, trigger: 'manual', dryRun, requestedBy: actor.username, ...wait }],
        typedSearchAttributes: attributes(project, 'cleanup.run'),
      });
      const location = `/api/v1/projects/${project.name}/cleanup/runs/${runId}`;
      let claim;
      try {
        claim = await client.withDeadline(Date.now() + deps.mutations.mutationWaitMs, () => handle.executeUpdate(cleanupClaimUpdate));
      } catch (err) {
        if (notTakenInTime(err)) return { run: unclaimed(runId, workflowId, project, dryRun, actor.username), location };
        throw new ProblemError(failureToProblem(err));
      }
      if (!claim.claimed) throw activeConflict(claim.active);
      return { run: claim.run, location };
    },

    async listRuns(ref: CleanupProjectRef, q: Pick<z.infer<typeof PageQuery>, 'limit' | 'cursor'>) {
      const { project } = await projectOf(ref);
      const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor, { time: true });
      if (after === null) throw new ProblemError(invalidCursor());
      return pageResponse(await listCleanupRuns(deps.db, project.id, { after, limit: q.limit }));
    },

    async getRun(ref: CleanupProjectRef, id: string) {
      return withProgress((await runOf(ref, id)).run);
    },

    async approveRun(ref: CleanupProjectRef, id: string, actor: Actor) {
      const found = await runOf(ref, id);
      const notWaiting = (detail: string) => refused('The run is not waiting for an approval', detail, { runStatus: found.run.status });
      if (found.run.status !== 'awaiting_approval') throw notWaiting(`cleanup run ${id} is ${found.run.status}`);
      try {
        // An Update waits for a worker to take it: bounded like a mutation's wait, not by the request's Temporal deadline,
        // which would blame Temporal for workers that are down.
        const handle = client.workflow.getHandle(found.run.workflowId);
        const progress = await client.withDeadline(Date.now() + deps.mutations.mutationWaitMs, () => handle.executeUpdate(cleanupApproveUpdate, { args: [{ by: actor.username }] }));
        // Taken: the run goes on now (its row says so a moment later).
        return { ...found.run, status: 'running' as const, approvedBy: actor.username, progress: { ...progress, status: 'running' as const } };
      } catch (err) {
        if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) throw notWaiting(err.cause instanceof Error ? err.cause.message : err.message);
        if (notTakenInTime(err)) {
          const seconds = Math.round(deps.mutations.mutationWaitMs / 1000);
          throw new ProblemError(problemBody(504, 'timeout', 'The approval was not taken in time', `no worker took it within ${seconds} s (the workers or Temporal may be down); it may still be taken once one runs: read the run, and approve again if it still awaits approval`));
        }
        throw err;
      }
    },

    async cancelRun(ref: CleanupProjectRef, id: string) {
      const found = await runOf(ref, id);
      if (!ACTIVE.has(found.run.status)) throw refused('The run is not active', `cleanup run ${id} is ${found.run.status}`, { runStatus: found.run.status });
      try {
        await client.workflow.getHandle(found.run.workflowId).signal(cleanupCancelSignal);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw refused('The run is not active', `cleanup run ${id} has ended`);
        throw err;
      }
      return withProgress(found.run);
    },
  };
}
export type CleanupService = ReturnType<typeof createCleanupService>;
