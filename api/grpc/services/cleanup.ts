import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import {
  CleanupCandidatesSchema,
  CleanupPolicyViewSchema,
  type CleanupService,
  CleanupRunSchema,
  ListCleanupCandidatesRequestSchema,
  ListCleanupRunsRequestSchema,
  ListCleanupRunsResponseSchema,
  PreviewCleanupCandidatesRequestSchema,
  SetCleanupPolicyRequestSchema,
  SetTenantCleanupPolicyRequestSchema,
  StartCleanupRunRequestSchema,
  TenantCleanupCandidatesSchema,
} from '../../../gen/modelregistry/v1/cleanup_pb';
import type { CleanupPolicy } from '../../../lib/cleanup/types';
import { PageQuery, pathName } from '../../schemas/common';
import { CleanupPolicySchema, CleanupRunParams, CleanupRunStartSchema, CleanupTenantParams } from '../../schemas/cleanup';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';

const optional = (s: string) => (s === '' ? undefined : s);

/** What a request names, checked like REST's path, under the request's field names (REST's `name` is `project`). */
const ProjectField = z.object({ project: pathName() });
const RunFields = ProjectField.extend({ id: CleanupRunParams.shape.id });
const projectRef = (req: { project: string; registry: string }) => ({ ...parseAs(ProjectField, { project: req.project }, 'param'), registry: optional(req.registry) });
const runRef = (req: { project: string; id: string; registry: string }) => {
  const { project, id } = parseAs(RunFields, { project: req.project, id: req.id }, 'param');
  return { ref: { project, registry: optional(req.registry) }, id };
};
const tenantOf = (req: { tenant: string }) => parseAs(CleanupTenantParams, { tenant: req.tenant }, 'param').tenant;

/** REST's policy body under the request's field name, so violations name `policy.rules.0.count`; unset is `{}` (the defaults). */
const PolicyField = z.object({ policy: CleanupPolicySchema });
const policyOf = (json: Record<string, unknown>) => parseAs(PolicyField, { policy: json.policy ?? {} }).policy as CleanupPolicy;

/** A list request's page as REST's query. */
function pageOf<D extends Parameters<typeof requestQuery>[0]>(schema: D, req: Parameters<typeof requestQuery<D>>[1]) {
  const query = requestQuery(schema, req);
  return parseAs(PageQuery, { limit: query.limit, cursor: query.cursor }, 'query');
}

/** REST's candidates report as the message: `items` are `candidates`, `protected` `protected_versions`. */
const candidatesAnswer = ({ items, protected: protectedVersions, nextCursor, ...rest }: { items: unknown[]; protected: unknown[]; nextCursor: string | null }) => ({
  ...rest,
  candidates: items,
  protectedVersions,
  nextPageToken: nextCursor ?? '',
});

/** CleanupService over gRPC: the cleanup service layer, messages in and out. */
export function cleanupRpcs(services: Services): ServiceImpl<typeof CleanupService> {
  const cleanup = services.cleanup;
  return {
    async getCleanupPolicy(req) {
      return toMessage(CleanupPolicyViewSchema, await cleanup.getPolicy(projectRef(req)));
    },
    async setCleanupPolicy(req, ctx) {
      const ref = projectRef(req);
      const policy = policyOf(requestJson(SetCleanupPolicyRequestSchema, req));
      return mutationMessage(await cleanup.putPolicy(ref, policy, actorOf(ctx), idempotencyKeyOf(ctx)), CleanupPolicyViewSchema);
    },
    async deleteCleanupPolicy(req, ctx) {
      return mutationMessage(await cleanup.deletePolicy(projectRef(req), actorOf(ctx), idempotencyKeyOf(ctx)), CleanupPolicyViewSchema);
    },
    async getTenantCleanupPolicy(req) {
      return toMessage(CleanupPolicyViewSchema, await cleanup.getTenantPolicy(tenantOf(req)));
    },
    async setTenantCleanupPolicy(req, ctx) {
      const tenant = tenantOf(req);
      const policy = policyOf(requestJson(SetTenantCleanupPolicyRequestSchema, req));
      return mutationMessage(await cleanup.putTenantPolicy(tenant, policy, actorOf(ctx), idempotencyKeyOf(ctx)), CleanupPolicyViewSchema);
    },
    async listCleanupCandidates(req, ctx) {
      const ref = projectRef(req);
      const page = pageOf(ListCleanupCandidatesRequestSchema, req);
      return mutationMessage(await cleanup.candidates(ref, page, undefined, idempotencyKeyOf(ctx)), CleanupCandidatesSchema, candidatesAnswer);
    },
    async previewCleanupCandidates(req, ctx) {
      const ref = projectRef(req);
      const page = pageOf(PreviewCleanupCandidatesRequestSchema, req);
      const policy = policyOf(requestJson(PreviewCleanupCandidatesRequestSchema, req));
      return mutationMessage(await cleanup.candidates(ref, page, policy, idempotencyKeyOf(ctx)), CleanupCandidatesSchema, candidatesAnswer);
    },
    async getTenantCleanupCandidates(req) {
      return mutationMessage(await cleanup.tenantCandidates(tenantOf(req)), TenantCleanupCandidatesSchema);
    },
    async startCleanupRun(req, ctx) {
      const ref = projectRef(req);
      const body = requestJson(StartCleanupRunRequestSchema, req);
      delete body.project; // REST's path and query
      delete body.registry;
      const { run } = await cleanup.startRun(ref, parseAs(CleanupRunStartSchema, body), actorOf(ctx));
      return toMessage(CleanupRunSchema, run);
    },
    async listCleanupRuns(req) {
      const page = await cleanup.listRuns(projectRef(req), pageOf(ListCleanupRunsRequestSchema, req));
      return create(ListCleanupRunsResponseSchema, { runs: page.items.map((r) => toMessage(CleanupRunSchema, r)), nextPageToken: nextPageToken(page) });
    },
    async getCleanupRun(req) {
      const { ref, id } = runRef(req);
      return toMessage(CleanupRunSchema, await cleanup.getRun(ref, id));
    },
    async approveCleanupRun(req, ctx) {
      const { ref, id } = runRef(req);
      return toMessage(CleanupRunSchema, await cleanup.approveRun(ref, id, actorOf(ctx)));
    },
    async cancelCleanupRun(req) {
      const { ref, id } = runRef(req);
      return toMessage(CleanupRunSchema, await cleanup.cancelRun(ref, id));
    },
  };
}
