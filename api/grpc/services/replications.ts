import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import {
  CreateReplicationRuleRequestSchema,
  ListReplicationExecutionsRequestSchema,
  ListReplicationExecutionsResponseSchema,
  ListReplicationRulesRequestSchema,
  ListReplicationRulesResponseSchema,
  ReplicationExecutionSchema,
  ReplicationRuleSchema,
  type ReplicationService,
  SyncResultSchema,
  UpdateReplicationRuleRequestSchema,
} from '../../../gen/modelregistry/v1/replications_pb';
import { PageQuery, pathName } from '../../schemas/common';
import { ReplicationExecutionParams, ReplicationRuleCreateSchema, ReplicationRulePatchSchema } from '../../schemas/replications';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';
import { renamingFields } from '../renamed-fields';

const optional = (s: string) => (s === '' ? undefined : s);

/** What a request names, checked like REST's path, under the request's field names (REST's `name` is `project`). */
const ProjectField = z.object({ project: pathName() });
const RuleFields = ProjectField.extend({ rule: pathName() });
const ExecutionFields = RuleFields.extend({ id: ReplicationExecutionParams.shape.id });
const projectRef = (req: { project: string; registry: string }) => ({ ...parseAs(ProjectField, { project: req.project }, 'param'), registry: optional(req.registry) });
const ruleRef = (req: { project: string; rule: string; registry: string }) => ({ ...parseAs(RuleFields, { project: req.project, rule: req.rule }, 'param'), registry: optional(req.registry) });

/** A list request's page as REST's query. */
function pageOf<D extends Parameters<typeof requestQuery>[0]>(schema: D, req: Parameters<typeof requestQuery<D>>[1]) {
  const query = requestQuery(schema, req);
  return parseAs(PageQuery, { limit: query.limit, cursor: query.cursor }, 'query');
}

/** A request's fields as REST's body: without REST's path and query, the remote registry as REST's body `registry`. */
function bodyOf(json: Record<string, unknown>) {
  const { remoteRegistry, ...body } = json;
  delete body.project;
  delete body.rule;
  delete body.registry;
  return remoteRegistry === undefined ? body : { ...body, registry: remoteRegistry };
}
const REMOTE_REGISTRY = { 'body.registry': 'body.remoteRegistry' };

/** ReplicationService over gRPC: the replication service layer, messages in and out. */
export function replicationRpcs(services: Services): ServiceImpl<typeof ReplicationService> {
  const replications = services.replications;
  return {
    async listReplicationRules(req) {
      const page = await replications.list(projectRef(req), pageOf(ListReplicationRulesRequestSchema, req));
      return create(ListReplicationRulesResponseSchema, { rules: page.items.map((r) => toMessage(ReplicationRuleSchema, r)), nextPageToken: nextPageToken(page) });
    },
    async createReplicationRule(req, ctx) {
      const ref = projectRef(req);
      const mutation = await renamingFields(REMOTE_REGISTRY, () =>
        replications.create(ref, parseAs(ReplicationRuleCreateSchema, bodyOf(requestJson(CreateReplicationRuleRequestSchema, req))), actorOf(ctx), idempotencyKeyOf(ctx)),
      );
      return mutationMessage(mutation, ReplicationRuleSchema);
    },
    async getReplicationRule(req) {
      return toMessage(ReplicationRuleSchema, await replications.get(ruleRef(req)));
    },
    async updateReplicationRule(req, ctx) {
      const ref = ruleRef(req);
      const patch = parseAs(ReplicationRulePatchSchema, bodyOf(requestJson(UpdateReplicationRuleRequestSchema, req)));
      return mutationMessage(await replications.update(ref, patch, actorOf(ctx), idempotencyKeyOf(ctx)), ReplicationRuleSchema);
    },
    async deleteReplicationRule(req, ctx) {
      return mutationMessage(await replications.remove(ruleRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), ReplicationRuleSchema);
    },
    async runReplicationRule(req, ctx) {
      return mutationMessage(await replications.execute(ruleRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), ReplicationExecutionSchema);
    },
    async listReplicationExecutions(req) {
      const page = await replications.executions(ruleRef(req), pageOf(ListReplicationExecutionsRequestSchema, req));
      return create(ListReplicationExecutionsResponseSchema, { executions: page.items.map((e) => toMessage(ReplicationExecutionSchema, e)), nextPageToken: nextPageToken(page) });
    },
    async getReplicationExecution(req) {
      const { project, rule, id } = parseAs(ExecutionFields, { project: req.project, rule: req.rule, id: req.id }, 'param');
      return toMessage(ReplicationExecutionSchema, await replications.execution({ project, rule, registry: optional(req.registry) }, id));
    },
    async syncReplicationRule(req, ctx) {
      return mutationMessage(await replications.sync(ruleRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), SyncResultSchema);
    },
  };
}
