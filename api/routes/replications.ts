import { createRoute } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, RegistryQuery } from '../schemas/common';
import {
  ReplicationExecutionPageSchema,
  ReplicationExecutionParams,
  ReplicationExecutionSchema,
  ReplicationRuleCreateSchema,
  ReplicationRulePageSchema,
  ReplicationRuleParams,
  ReplicationRulePatchSchema,
  ReplicationRuleSchema,
} from '../schemas/replications';
import type { ReplicationService } from '../services/replications';

const params = NameParams;
const ruleParams = ReplicationRuleParams;
const executionParams = ReplicationExecutionParams;
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

/** A project's replication rules and their executions over REST: the replication service layer (api/services/replications.ts). */
export function createReplicationsRouter(deps: { replications: ReplicationService }) {
  const router = createRouter();
  const service = deps.replications;
  const projectOf = (param: { name: string }, q: { registry?: string }) => ({ project: param.name, registry: q.registry });
  const ruleOf = (param: { name: string; rule: string }, q: { registry?: string }) => ({ project: param.name, rule: param.rule, registry: q.registry });

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(await service.list(projectOf(c.req.valid('param'), q), q), 200);
  });

  router.openapi(create, async (c) => {
    const mutation = await service.create(projectOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (rule) => c.json(rule, 201));
  });

  router.openapi(getOne, async (c) => c.json(await service.get(ruleOf(c.req.valid('param'), c.req.valid('query'))), 200));

  router.openapi(patch, async (c) => {
    const mutation = await service.update(ruleOf(c.req.valid('param'), c.req.valid('query')), c.req.valid('json'), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (rule) => c.json(rule, 200));
  });

  router.openapi(remove, async (c) => {
    const mutation = await service.remove(ruleOf(c.req.valid('param'), c.req.valid('query')), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (rule) => c.json(rule, 200));
  });

  router.openapi(run, async (c) => {
    const mutation = await service.execute(ruleOf(c.req.valid('param'), c.req.valid('query')), actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (execution) => c.json(execution, 201));
  });

  router.openapi(executions, async (c) => {
    const q = c.req.valid('query');
    return c.json(await service.executions(ruleOf(c.req.valid('param'), q), q), 200);
  });

  router.openapi(execution, async (c) => {
    const param = c.req.valid('param');
    return c.json(await service.execution(ruleOf(param, c.req.valid('query')), param.id), 200);
  });

  return router;
}
