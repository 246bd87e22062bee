import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findLiveProject, type ProjectRecord } from '../../db/queries/projects';
import { findLiveRemoteRegistry } from '../../db/queries/registries';
import { findLiveReplicationRule, findReplicationExecution, listReplicationExecutions, listReplicationRules, type ReplicationRuleRecord } from '../../db/queries/replications';
import type { ReplicationRuleRef, ReplicationRuleSpec } from '../../lib/replication';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { replicationRuleWorkflowId, replicationRunWorkflowId } from '../../lib/workflow-ids';
import { replicationRuleCreateWorkflow, replicationRuleDeleteWorkflow, replicationRuleUpdateWorkflow, replicationRunWorkflow } from '../../workflows';
import { singleLine } from '../../lib/text';
import { actorOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, ProblemError, problemBody, validationProblem, type FieldIssue } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, pathName, problem, RegistryQuery } from '../schemas/common';
import {
  ReplicationExecutionPageSchema,
  ReplicationExecutionSchema,
  ReplicationRuleCreateSchema,
  ReplicationRulePageSchema,
  ReplicationRulePatchSchema,
  ReplicationRuleSchema,
} from '../schemas/replications';

const params = NameParams;
const ruleParams = NameParams.extend({ rule: pathName() });
// Our row's uuid: the pattern first, so the document states it, then the check every request string carries.
const executionParams = ruleParams.extend({ id: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be a uuid').check(singleLine) });
const query = RegistryQuery;
const headers = IdempotencyKeyHeader;
const tags = ['Replication rules'];
const base = '/projects/{name}/replications';
const noRule = problem('No such project or replication rule');

const list = createRoute({
  method: 'get',
  path: base,
  tags,
  summary: "A project's replication rules",
  request: { params, query: PageQuery.merge(query) },
  responses: { 200: json('A page of rules', ReplicationRulePageSchema), 404: problem('No such project') },
});
const create = createRoute({
  method: 'post',
  path: base,
  tags,
  summary: 'Create a replication rule: a Harbor replication policy between the project and a remote registry',
  request: { params, query, headers, body: jsonBody(ReplicationRuleCreateSchema) },
  responses: {
    201: json('Created', ReplicationRuleSchema),
    202: acceptedResponse,
    400: problem('Invalid body, or a remote registry the project\'s tenant may not use (naming body.registry)'),
    404: problem('No such project'),
    409: problem('The project has a rule of that name, or Harbor a policy of its name'),
    502: problem('Harbor failed for good; the policy was deleted again'),
  },
});
const getOne = createRoute({ method: 'get', path: `${base}/{rule}`, tags, summary: 'A replication rule', request: { params: ruleParams, query }, responses: { 200: json('The rule', ReplicationRuleSchema), 404: noRule } });
const patch = createRoute({
  method: 'patch',
  path: `${base}/{rule}`,
  tags,
  summary: "Change a rule's trigger, filters, namespace or options (its Harbor policy too)",
  request: { params: ruleParams, query, headers, body: jsonBody(ReplicationRulePatchSchema) },
  responses: { 200: json('Changed', ReplicationRuleSchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: noRule, 409: problem('The Harbor policy is gone') },
});
const remove = createRoute({
  method: 'delete',
  path: `${base}/{rule}`,
  tags,
  summary: 'Delete the Harbor policy and archive the rule',
  request: { params: ruleParams, query, headers },
  responses: { 200: json('Deleted', ReplicationRuleSchema), 202: acceptedResponse, 404: noRule, 409: problem('Harbor runs one of its executions') },
});
const run = createRoute({
  method: 'post',
  path: `${base}/{rule}/executions`,
  tags,
  summary: 'Run the rule now: Harbor starts an execution, followed to its end',
  request: { params: ruleParams, query, headers },
  responses: { 201: json('Started: the execution as Harbor reported it', ReplicationExecutionSchema), 202: acceptedResponse, 404: noRule, 409: problem('The rule is disabled, or its Harbor policy is gone') },
});
const executions = createRoute({
  method: 'get',
  path: `${base}/{rule}/executions`,
  tags,
  summary: "A rule's executions, newest first (run now, or started by the rule's trigger in Harbor)",
  request: { params: ruleParams, query: PageQuery.merge(query) },
  responses: { 200: json('A page of executions', ReplicationExecutionPageSchema), 404: noRule },
});
const execution = createRoute({
  method: 'get',
  path: `${base}/{rule}/executions/{id}`,
  tags,
  summary: 'An execution: status, counts and per-task progress as Harbor last reported them',
  request: { params: executionParams, query },
  responses: { 200: json('The execution', ReplicationExecutionSchema), 404: problem('No such project, rule or execution') },
});

/** A project's replication rules and their executions: writes by workflows, reads from the catalogue. */
export function createReplicationsRouter(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const router = createRouter();
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  const start = <W extends Workflow>(c: Context, project: ProjectRecord, workflowId: string, kind: string, workflowFn: W, args: Parameters<W>) =>
    mutationResponse(c, deps.mutations, workflowFn, {
      workflowId,
      args,
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: [
        { key: TenantName, value: project.tenantId },
        { key: ProjectName, value: project.name },
        { key: OperationKind, value: kind },
      ],
    });
  /** The live project and, when named, its live rule; a 404 problem otherwise. */
  async function lookup(name: string, requested: string | undefined): Promise<{ project: ProjectRecord; registry: string }>;
  async function lookup(name: string, requested: string | undefined, rule: string): Promise<{ project: ProjectRecord; registry: string; rule: ReplicationRuleRecord }>;
  async function lookup(name: string, requested: string | undefined, rule?: string) {
    const registry = registryOf(requested);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${name}" in ${registry}`));
    if (rule === undefined) return { project, registry };
    const found = await findLiveReplicationRule(deps.db, project.id, rule);
    if (!found) throw new ProblemError(problemBody(404, 'not-found', 'Replication rule not found', `project "${name}" has no replication rule "${rule}"`));
    return { project, registry, rule: found };
  }

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const found = await lookup(c.req.valid('param').name, q.registry);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listReplicationRules(deps.db, found.project.id, { after, limit: q.limit })), 200);
  });

  router.openapi(create, async (c) => {
    const { name } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry);
    const { registry: remoteRegistry, bandwidthKbps, ...body } = c.req.valid('json');
    const invisible = await remoteRegistryIssue(deps.db, found.project, remoteRegistry, 'body.registry');
    if (invisible) return validationProblem(c, [invisible]);
    const spec: ReplicationRuleSpec = { ...body, registry: found.registry, project: name, remoteRegistry, speedKbps: bandwidthKbps };
    const outcome = await start(c, found.project, replicationRuleWorkflowId(found.registry, name, body.name), 'replication.create', replicationRuleCreateWorkflow, [{ spec, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(getOne, async (c) => {
    const { name, rule } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry, rule);
    return c.json(found.rule, 200);
  });

  router.openapi(patch, async (c) => {
    const { name, rule } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry, rule);
    const { bandwidthKbps, ...body } = c.req.valid('json');
    const ref: ReplicationRuleRef = { registry: found.registry, project: name, name: rule };
    const patchSpec = { ...body, ...(bandwidthKbps === undefined ? {} : { speedKbps: bandwidthKbps }) };
    const outcome = await start(c, found.project, replicationRuleWorkflowId(ref.registry, name, rule), 'replication.update', replicationRuleUpdateWorkflow, [{ ref, patch: patchSpec, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(remove, async (c) => {
    const { name, rule } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry, rule);
    const ref: ReplicationRuleRef = { registry: found.registry, project: name, name: rule };
    const outcome = await start(c, found.project, replicationRuleWorkflowId(ref.registry, name, rule), 'replication.delete', replicationRuleDeleteWorkflow, [{ ref, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(run, async (c) => {
    const { name, rule } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry, rule);
    const ref: ReplicationRuleRef = { registry: found.registry, project: name, name: rule };
    const outcome = await start(c, found.project, replicationRunWorkflowId(ref.registry, name, rule), 'replication.run', replicationRunWorkflow, [{ ref, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(executions, async (c) => {
    const { name, rule } = c.req.valid('param');
    const q = c.req.valid('query');
    const found = await lookup(name, q.registry, rule);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    const before = after === undefined ? undefined : Number(after);
    if (after === null || (before !== undefined && !Number.isSafeInteger(before))) return invalidCursorProblem(c);
    return c.json(pageResponse(await listReplicationExecutions(deps.db, found.rule.id, { before, limit: q.limit })), 200);
  });

  router.openapi(execution, async (c) => {
    const { name, rule, id } = c.req.valid('param');
    const found = await lookup(name, c.req.valid('query').registry, rule);
    const one = await findReplicationExecution(deps.db, found.rule.id, id);
    if (!one) return notFoundProblem(c, 'Execution not found', `replication rule "${rule}" has no execution ${id}`);
    return c.json(one, 200);
  });

  return router;
}

/**
 * Why a project may not use the remote registry of that name (the 400 naming `field`): there is
 * none on the project's Harbor instance, or it is another tenant's. Undefined when it may.
 */
async function remoteRegistryIssue(db: Db, project: Pick<ProjectRecord, 'registry' | 'tenantId'>, name: string, field: string): Promise<FieldIssue | undefined> {
  const remote = await findLiveRemoteRegistry(db, project.registry, name);
  if (remote && (remote.tenant === null || remote.tenant === project.tenantId)) return undefined;
  return { field, message: `no remote registry "${name}" in ${project.registry} that tenant "${project.tenantId}" may use (its own or a shared one)`, code: 'invalid_value' };
}
