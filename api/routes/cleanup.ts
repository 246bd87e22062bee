import { createRoute, z } from '@hono/zod-openapi';
import type { CleanupPolicy } from '../../lib/cleanup/types';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, RegistryQuery } from '../schemas/common';
import {
  CleanupCandidatesSchema,
  CleanupRunParams,
  CleanupTenantParams,
  CleanupPolicySchema,
  CleanupPolicyViewSchema,
  CleanupRunPageSchema,
  CleanupRunSchema,
  CleanupRunStartSchema,
  TenantCleanupCandidatesSchema,
} from '../schemas/cleanup';
import type { CleanupService } from '../services/cleanup';

const params = NameParams;
const tenantParams = CleanupTenantParams;
const runParams = CleanupRunParams;
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
  request: { params, query: PageQuery.merge(query), headers },
  responses: { 200: json('The report (candidates and protected versions paged; totals cover all)', CleanupCandidatesSchema), 202: acceptedResponse, 404: noProject, 409: notInHarbor },
});
const candidatesOf = createRoute({
  method: 'post',
  path: `${base}/candidates`,
  tags,
  summary: 'What this policy would select now (changes nothing)',
  request: { params, query: PageQuery.merge(query), headers, body: jsonBody(CleanupPolicySchema) },
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
  responses: { 200: json('Approved', CleanupRunSchema), 404: noRun, 409: problem('The run is not waiting for an approval'), 504: problem('No worker took the approval within MUTATION_WAIT_MS: read the run, and approve again if it still awaits approval') },
});
const cancelRun = createRoute({
  method: 'post',
  path: `${base}/runs/{id}/cancel`,
  tags,
  summary: 'Cancel a run: it stops after the version it is removing',
  request: { params: runParams, query },
  responses: { 200: json('Cancel requested', CleanupRunSchema), 404: noRun, 409: problem('The run is not active') },
});

/** Cleanup policies, candidates and runs over REST: the cleanup service layer (api/services/cleanup.ts). */
export function createCleanupRouter(deps: { cleanup: CleanupService }) {
  const router = createRouter();
  const { cleanup } = deps;
  const ref = (param: { name: string }, query: { registry?: string }) => ({ project: param.name, registry: query.registry });

  router.openapi(getPolicy, async (c) => c.json(await cleanup.getPolicy(ref(c.req.valid('param'), c.req.valid('query'))), 200));

  router.openapi(putPolicy, async (c) => {
    const mutation = await cleanup.putPolicy(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('json') as CleanupPolicy, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (view) => c.json(view, 200));
  });

  router.openapi(deletePolicy, async (c) => {
    const mutation = await cleanup.deletePolicy(ref(c.req.valid('param'), c.req.valid('query')), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (view) => c.json(view, 200));
  });

  router.openapi(getTenantPolicy, async (c) => c.json(await cleanup.getTenantPolicy(c.req.valid('param').tenant), 200));

  router.openapi(putTenantPolicy, async (c) => {
    const mutation = await cleanup.putTenantPolicy(c.req.valid('param').tenant, c.req.valid('json') as CleanupPolicy, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (view) => c.json(view, 200));
  });

  router.openapi(candidates, async (c) => {
    const mutation = await cleanup.candidates(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('query'), undefined, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (report) => c.json(report, 200));
  });
  router.openapi(candidatesOf, async (c) => {
    const mutation = await cleanup.candidates(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('query'), c.req.valid('json') as CleanupPolicy, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (report) => c.json(report, 200));
  });

  router.openapi(tenantCandidates, async (c) => {
    const mutation = await cleanup.tenantCandidates(c.req.valid('param').tenant);
    return answerMutation(c, mutation, (totals) => c.json(totals, 200));
  });

  router.openapi(startRun, async (c) => {
    const { run, location } = await cleanup.startRun(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c));
    return c.json(run, 202, { Location: location });
  });

  router.openapi(listRuns, async (c) => c.json(await cleanup.listRuns(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('query')), 200));

  router.openapi(getRun, async (c) => c.json(await cleanup.getRun(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('param').id), 200));

  router.openapi(approveRun, async (c) => c.json(await cleanup.approveRun(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('param').id, actorOf(c)), 200));

  router.openapi(cancelRun, async (c) => c.json(await cleanup.cancelRun(ref(c.req.valid('param'), c.req.valid('query')), c.req.valid('param').id), 200));

  return router;
}
