import { randomUUID } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { isGrpcDeadlineError, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findActiveCleanupRun, findCleanupRun, findProjectCleanupPolicy, findTenantCleanupPolicy, listCleanupRuns, type CleanupRunRecord } from '../../db/queries/cleanup';
import { findLiveProject, type ProjectRecord } from '../../db/queries/projects';
import { findTenant } from '../../db/queries/tenants';
import type { CleanupPolicy } from '../../lib/cleanup/types';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { singleLine } from '../../lib/text';
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
import { actorOf } from '../auth/context';
import { failureToProblem, type MutationDeps } from '../operations';
import { decodeCursor, decodeSortKey, encodeCursor, pageResponse } from '../pagination';
import { conflictProblem, invalidCursorProblem, problemBody, problemResponse, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, pathName, problem, RegistryQuery } from '../schemas/common';
import {
  CleanupCandidatesSchema,
  CleanupPolicySchema,
  CleanupPolicyViewSchema,
  CleanupRunPageSchema,
  CleanupRunSchema,
  CleanupRunStartSchema,
  TenantCleanupCandidatesSchema,
} from '../schemas/cleanup';

const params = NameParams;
const tenantParams = z.object({ tenant: pathName() });
const runParams = NameParams.extend({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a uuid').check(singleLine) });
const query = RegistryQuery;
const headers = IdempotencyKeyHeader;
const tags = ['Cleanup'];
const base = '/projects/{name}/cleanup';
const tenantBase = '/tenants/{tenant}/cleanup';
const noProject = problem('No such project');
const noRun = problem('No such project or run');

const getPolicy = createRoute({
  method: 'get',
  path: `${base}/policy`,
  tags,
  summary: "The project's cleanup policy in force and its source: its own, its tenant's default, or the built-in default",
  request: { params, query },
  responses: { 200: json('The policy in force', CleanupPolicyViewSchema), 404: noProject },
});
const putPolicy = createRoute({
  method: 'put',
  path: `${base}/policy`,
  tags,
  summary: "Replace the project's cleanup policy; its Schedule `cleanup:<registry>/<project>` and mirrored Harbor retention follow",
  request: { params, query, headers, body: jsonBody(CleanupPolicySchema) },
  responses: { 200: json('Stored', CleanupPolicyViewSchema), 202: acceptedResponse, 400: problem('Invalid policy, naming the field'), 404: noProject },
});
const deletePolicy = createRoute({
  method: 'delete',
  path: `${base}/policy`,
  tags,
  summary: "Delete the project's own cleanup policy: it inherits its tenant's default (or the built-in one) again, Schedule and retention following",
  request: { params, query, headers },
  responses: { 200: json('The policy now in force', CleanupPolicyViewSchema), 202: acceptedResponse, 404: problem('No such project, or no policy of its own') },
});
const getTenantPolicy = createRoute({
  method: 'get',
  path: `${tenantBase}/policy`,
  tags,
  summary: "The tenant's default cleanup policy (the built-in default when it has none)",
  request: { params: tenantParams },
  responses: { 200: json('The default', CleanupPolicyViewSchema), 404: problem('No such tenant') },
});
const putTenantPolicy = createRoute({
  method: 'put',
  path: `${tenantBase}/policy`,
  tags,
  summary: 'Replace the tenant default, which its projects without a policy of their own inherit',
  request: { params: tenantParams, headers, body: jsonBody(CleanupPolicySchema) },
  responses: {
    200: json('Stored', CleanupPolicyViewSchema.extend({ inheritedBy: z.array(z.string()) })),
    202: acceptedResponse,
    400: problem('Invalid policy, naming the field'),
    404: problem('No such tenant'),
  },
});
const notInHarbor = problem('The project is not in Harbor');
const candidates = createRoute({
  method: 'get',
  path: `${base}/candidates`,
  tags,
  summary: 'What the policy in force selects now: every candidate with its rules, size and freed bytes, and every protected version with its protections',
  request: { params, query: PageQuery.merge(query) },
  responses: { 200: json('The report (candidates and protected versions paged; totals cover all)', CleanupCandidatesSchema), 202: acceptedResponse, 404: noProject, 409: notInHarbor },
});
const candidatesOf = createRoute({
  method: 'post',
  path: `${base}/candidates`,
  tags,
  summary: 'What this policy would select now (changes nothing)',
  request: { params, query: PageQuery.merge(query), body: jsonBody(CleanupPolicySchema) },
  responses: { 200: json('The report (candidates and protected versions paged; totals cover all)', CleanupCandidatesSchema), 202: acceptedResponse, 400: problem('Invalid policy, naming the field'), 404: noProject, 409: notInHarbor },
});
const tenantCandidates = createRoute({
  method: 'get',
  path: `${tenantBase}/candidates`,
  tags,
  summary: "Each of the tenant's projects' cleanup totals under its policy in force, and their sum",
  request: { params: tenantParams },
  responses: { 200: json('Totals per project', TenantCleanupCandidatesSchema), 202: acceptedResponse, 404: problem('No such tenant') },
});
const startRun = createRoute({
  method: 'post',
  path: `${base}/runs`,
  tags,
  summary: 'Start a cleanup run (`cleanupRunWorkflow`); a dry run unless `dryRun: false`',
  request: { params, query, body: { required: false, content: { 'application/json': { schema: CleanupRunStartSchema } } } },
  responses: {
    202: json('Claimed: the run, with Location', CleanupRunSchema),
    400: problem('Invalid body'),
    404: noProject,
    409: problem('A run of the project is active: `activeRun` names it'),
  },
});
const listRuns = createRoute({
  method: 'get',
  path: `${base}/runs`,
  tags,
  summary: "The project's cleanup runs, newest first",
  request: { params, query: PageQuery.merge(query) },
  responses: { 200: json('A page of runs (without their reports)', CleanupRunPageSchema), 404: noProject },
});
const getRun = createRoute({
  method: 'get',
  path: `${base}/runs/{id}`,
  tags,
  summary: "A run: its row, its report and summary, and the workflow's live progress while it is active",
  request: { params: runParams, query },
  responses: { 200: json('The run', CleanupRunSchema), 404: noRun },
});
const approveRun = createRoute({
  method: 'post',
  path: `${base}/runs/{id}/approve`,
  tags,
  summary: 'Approve a semi-automatic run waiting for its approval: it starts removing',
  request: { params: runParams, query },
  responses: { 200: json('Approved', CleanupRunSchema), 404: noRun, 409: problem('The run is not waiting for an approval') },
});
const cancelRun = createRoute({
  method: 'post',
  path: `${base}/runs/{id}/cancel`,
  tags,
  summary: 'Cancel a run: it stops after the version it is removing',
  request: { params: runParams, query },
  responses: { 200: json('Cancel requested', CleanupRunSchema), 404: noRun, 409: problem('The run is not active') },
});

const ACTIVE = new Set(['preparing', 'awaiting_approval', 'running']);
const PROGRESS_QUERY_MS = 2_000;

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

/** Cleanup policies, candidates and runs: writes and Harbor reads by workflows; policies and runs read from the catalogue. */
export function createCleanupRouter(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const router = createRouter();
  const { client, taskQueue } = deps.mutations;
  const attributes = (project: ProjectRecord, kind: string) => [
    { key: TenantName, value: project.tenantId },
    { key: ProjectName, value: project.name },
    { key: OperationKind, value: kind },
  ];
  const run = <W extends Workflow>(c: Context, workflowId: string, searchAttributes: ReturnType<typeof attributes>, workflowFn: W, args: Parameters<W>) =>
    mutationResponse(c, deps.mutations, workflowFn, { workflowId, args, idempotencyKey: c.req.header('idempotency-key'), searchAttributes });

  async function projectOf(name: string, requested: string | undefined): Promise<{ project: ProjectRecord; registry: string }> {
    const registry = managedRegistry(deps.registries, requested);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${name}" in ${registry}`));
    return { project, registry };
  }
  async function tenantOf(name: string): Promise<void> {
    if (!(await findTenant(deps.db, name))) throw new ProblemError(problemBody(404, 'not-found', 'Tenant not found', `no tenant named "${name}"`));
  }
  async function runOf(c: Context, name: string, requested: string | undefined, id: string): Promise<{ project: ProjectRecord; registry: string; run: CleanupRunRecord }> {
    const found = await projectOf(name, requested);
    const row = await findCleanupRun(deps.db, found.project.id, id);
    if (!row) throw new ProblemError(problemBody(404, 'not-found', 'Cleanup run not found', `project "${name}" has no cleanup run ${id}`));
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

  router.openapi(getPolicy, async (c) => {
    const { project } = await projectOf(c.req.valid('param').name, c.req.valid('query').registry);
    const [own, tenantDefault] = await Promise.all([findProjectCleanupPolicy(deps.db, project.id), findTenantCleanupPolicy(deps.db, project.tenantId)]);
    return c.json(policyInForce({ own, tenantDefault }), 200);
  });

  router.openapi(putPolicy, async (c) => {
    const { project, registry } = await projectOf(c.req.valid('param').name, c.req.valid('query').registry);
    const policy = c.req.valid('json') as CleanupPolicy;
    const outcome = await run(c, cleanupPolicyWorkflowId(registry, project.name), attributes(project, 'cleanup.policy'), cleanupPolicyWorkflow, [{ registry, project: project.name, policy, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(deletePolicy, async (c) => {
    const { project, registry } = await projectOf(c.req.valid('param').name, c.req.valid('query').registry);
    const outcome = await run(c, cleanupPolicyWorkflowId(registry, project.name), attributes(project, 'cleanup.policy'), cleanupPolicyDeleteWorkflow, [{ registry, project: project.name, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(getTenantPolicy, async (c) => {
    const { tenant } = c.req.valid('param');
    await tenantOf(tenant);
    return c.json(policyInForce({ own: null, tenantDefault: await findTenantCleanupPolicy(deps.db, tenant) }), 200);
  });

  router.openapi(putTenantPolicy, async (c) => {
    const { tenant } = c.req.valid('param');
    await tenantOf(tenant);
    const policy = c.req.valid('json') as CleanupPolicy;
    const outcome = await mutationResponse(c, deps.mutations, cleanupTenantPolicyWorkflow, {
      workflowId: cleanupTenantPolicyWorkflowId(tenant),
      args: [{ tenant, policy, actor: actorOf(c) }],
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: 'cleanup.policy' }],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  /** A window of the report: candidates and protected versions paged by position (the cursor), totals of all. */
  async function candidatesResponse(c: Context, name: string, q: { registry?: string; limit: number; cursor?: string }, policy?: CleanupPolicy) {
    const offset = q.cursor === undefined ? 0 : Number(decodeCursor(q.cursor) ?? NaN);
    if (!Number.isInteger(offset) || offset < 0) return invalidCursorProblem(c);
    const { project, registry } = await projectOf(name, q.registry);
    const outcome = await run(c, cleanupCandidatesWorkflowId(registry, project.name, randomUUID()), attributes(project, 'cleanup.candidates'), cleanupCandidatesWorkflow, [
      { registry, project: project.name, offset, limit: q.limit, ...(policy ? { policy } : {}) },
    ]);
    if (!outcome.done) return outcome.response;
    const { candidates: items, nextOffset, ...rest } = outcome.result;
    return c.json({ ...rest, items, nextCursor: nextOffset === null ? null : encodeCursor(String(nextOffset)) }, 200);
  }

  router.openapi(candidates, (c) => candidatesResponse(c, c.req.valid('param').name, c.req.valid('query')));
  router.openapi(candidatesOf, (c) => candidatesResponse(c, c.req.valid('param').name, c.req.valid('query'), c.req.valid('json') as CleanupPolicy));

  router.openapi(tenantCandidates, async (c) => {
    const { tenant } = c.req.valid('param');
    await tenantOf(tenant);
    const outcome = await mutationResponse(c, deps.mutations, cleanupTenantCandidatesWorkflow, {
      workflowId: cleanupTenantCandidatesWorkflowId(tenant, randomUUID()),
      args: [{ tenant }],
      searchAttributes: [{ key: TenantName, value: tenant }, { key: OperationKind, value: 'cleanup.candidates' }],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  /**
   * Starts the run and waits for its claim (an Update answered once its row is written): the
   * project's active run, whether seen here first or met by the claim in a race, is a 409 naming it.
   */
  router.openapi(startRun, async (c) => {
    const { project, registry } = await projectOf(c.req.valid('param').name, c.req.valid('query').registry);
    // The body is optional: without one, a dry run.
    const body = c.req.valid('json') as { dryRun?: boolean; approvalTimeoutSeconds?: number } | undefined;
    const dryRun = body?.dryRun ?? true;
    const wait = body?.approvalTimeoutSeconds === undefined ? {} : { approvalTimeoutSeconds: body.approvalTimeoutSeconds };
    const activeConflict = (active: CleanupRunRecord | null) =>
      conflictProblem(c, 'A cleanup run is active', `cleanup run ${active?.id ?? '(ending)'} of "${project.name}" is ${active?.status ?? 'active'}`, active ? { activeRun: active.id } : {});
    const active = await findActiveCleanupRun(deps.db, project.id);
    if (active) return activeConflict(active);
    const runId = randomUUID();
    const workflowId = cleanupRunWorkflowId(registry, project.name, runId);
    const handle = await client.workflow.start(cleanupRunWorkflow, {
      workflowId,
      taskQueue,
      args: [{ registry, project: project.name, runId, trigger: 'manual', dryRun, requestedBy: actorOf(c).username, ...wait }],
      typedSearchAttributes: attributes(project, 'cleanup.run'),
    });
    const location = { Location: `/api/v1/projects/${project.name}/cleanup/runs/${runId}` };
    let claim;
    try {
      claim = await client.withDeadline(Date.now() + deps.mutations.mutationWaitMs, () => handle.executeUpdate(cleanupClaimUpdate));
    } catch (err) {
      // Not claimed within the wait (a busy worker): the run is started and says so at its Location.
      if (isGrpcDeadlineError(err)) return c.json(unclaimed(runId, workflowId, project, dryRun, actorOf(c).username), 202, location);
      return problemResponse(c, failureToProblem(err));
    }
    if (!claim.claimed) return activeConflict(claim.active);
    return c.json(claim.run, 202, location);
  });

  router.openapi(listRuns, async (c) => {
    const q = c.req.valid('query');
    const { project } = await projectOf(c.req.valid('param').name, q.registry);
    const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listCleanupRuns(deps.db, project.id, { after, limit: q.limit })), 200);
  });

  router.openapi(getRun, async (c) => {
    const { name, id } = c.req.valid('param');
    const { run: row } = await runOf(c, name, c.req.valid('query').registry, id);
    return c.json(await withProgress(row), 200);
  });

  router.openapi(approveRun, async (c) => {
    const { name, id } = c.req.valid('param');
    const found = await runOf(c, name, c.req.valid('query').registry, id);
    const notWaiting = (detail: string) => conflictProblem(c, 'The run is not waiting for an approval', detail, { runStatus: found.run.status });
    if (found.run.status !== 'awaiting_approval') return notWaiting(`cleanup run ${id} is ${found.run.status}`);
    try {
      const progress = await client.workflow.getHandle(found.run.workflowId).executeUpdate(cleanupApproveUpdate, { args: [{ by: actorOf(c).username }] });
      return c.json({ ...found.run, approvedBy: actorOf(c).username, progress }, 200);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) return notWaiting(err.cause instanceof Error ? err.cause.message : err.message);
      throw err;
    }
  });

  router.openapi(cancelRun, async (c) => {
    const { name, id } = c.req.valid('param');
    const found = await runOf(c, name, c.req.valid('query').registry, id);
    if (!ACTIVE.has(found.run.status)) return conflictProblem(c, 'The run is not active', `cleanup run ${id} is ${found.run.status}`, { runStatus: found.run.status });
    try {
      await client.workflow.getHandle(found.run.workflowId).signal(cleanupCancelSignal);
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return conflictProblem(c, 'The run is not active', `cleanup run ${id} has ended`);
      throw err;
    }
    return c.json(await withProgress(found.run), 200);
  });

  return router;
}
