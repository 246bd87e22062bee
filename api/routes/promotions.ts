import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import { listRemoteModels, pusherOf } from '../../db/queries/locations';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveRemoteRegistry } from '../../db/queries/registries';
import { findLiveVersion } from '../../db/queries/versions';
import type { VersionRef } from '../../lib/checkpoints';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../../lib/promotion';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import { approvalWorkflowId, promotionWorkflowId } from '../../lib/workflow-ids';
import { modelApprovalWorkflow, modelPromotionWorkflow } from '../../workflows';
import { actorOf, authOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, problemBody, problemResponse } from '../problem';
import { managedRegistry } from '../registry';
import { mutationResponse } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, RegistryQuery, VersionParams } from '../schemas/common';
import { ApprovalSchema, PromotionCreateSchema, PromotionSchema, RemoteModelPageSchema } from '../schemas/promotions';

const tags = ['Promotion'];
const base = '/models/{project}/{model}/versions/{tag}';
const request = { params: VersionParams, query: RegistryQuery, headers: IdempotencyKeyHeader };

const approve = createRoute({
  method: 'post',
  path: `${base}/approval`,
  tags,
  summary: 'Approve the version for promotion (models.approve; never by the account that pushed it); wakes its waiting promotions',
  request,
  responses: {
    200: json('Approved', ApprovalSchema),
    202: acceptedResponse,
    403: problem('Not allowed to approve, or the caller pushed this version'),
    404: problem('No such version'),
    409: problem('A change of its approval is running'),
  },
});
const withdraw = createRoute({
  method: 'delete',
  path: `${base}/approval`,
  tags,
  summary: "Withdraw the version's approval",
  request,
  responses: { 200: json('Withdrawn', ApprovalSchema), 202: acceptedResponse, 403: problem('Not allowed to approve'), 404: problem('No such version'), 409: problem('A change of its approval is running') },
});
const promote = createRoute({
  method: 'post',
  path: `${base}/promotions`,
  tags,
  summary: 'Promote the version to a remote registry: scan and signature gates, then an approval (waited for), a one-off Harbor push replication and the digest verified there',
  request: { ...request, body: jsonBody(PromotionCreateSchema) },
  responses: {
    200: json('The remote registry serves the version with the same digest', PromotionSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such version or remote registry'),
    409: problem('Failed gates (`failedGates`: scan, signature), no approval before the deadline, another digest under the tag there, or another promotion of it running'),
    502: problem('The replication or its verification failed (`failedStep`)'),
  },
});
const remoteModels = createRoute({
  method: 'get',
  path: '/registries/{name}/models',
  tags,
  summary: 'Model versions on a remote registry (promoted or found there), of the projects the caller may read',
  request: { params: NameParams, query: PageQuery.merge(RegistryQuery) },
  responses: { 200: json('A page of model versions', RemoteModelPageSchema), 400: problem('Invalid cursor'), 404: problem('No such remote registry') },
});

/** Approval and promotion of model versions, and where versions live on remote registries. */
export function createPromotionsRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; approvalTimeoutSeconds?: number }) {
  const router = createRouter();
  const refOf = (p: { project: string; model: string; tag: string }, registry: string | undefined): VersionRef => ({
    registry: managedRegistry(deps.registries, registry),
    project: p.project,
    model: p.model,
    tag: p.tag,
  });
  const noVersion = (c: Context, ref: VersionRef) => notFoundProblem(c, 'Version not found', `no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`);
  const attributes = (ref: VersionRef, kind: string) => [
    { key: ProjectName, value: ref.project },
    { key: ModelName, value: ref.model },
    { key: OperationKind, value: kind },
  ];

  const approval = async (c: Context, ref: VersionRef, approveIt: boolean) => {
    const version = await findLiveVersion(deps.db, ref);
    if (!version) return noVersion(c, ref);
    const actor = actorOf(c);
    // Four eyes: the account Harbor saw push this digest never approves it.
    if (approveIt && (await pusherOf(deps.db, `models/${ref.registry}/${ref.project}/${ref.model}`, version.digest)) === actor.username) {
      return problemResponse(c, problemBody(403, 'forbidden', 'Forbidden', `${actor.username} pushed ${ref.project}/${ref.model}:${ref.tag} (${version.digest}) and so may not approve it`, { action: 'models.approve', reason: 'pusher' }));
    }
    const outcome = await mutationResponse(c, deps.mutations, modelApprovalWorkflow, {
      workflowId: approvalWorkflowId(ref.registry, ref.project, ref.model, ref.tag),
      args: [{ ref, approve: approveIt, actor }],
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: attributes(ref, approveIt ? 'model.approve' : 'model.approval_withdraw'),
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  };
  router.openapi(approve, (c) => approval(c, refOf(c.req.valid('param'), c.req.valid('query').registry), true));
  router.openapi(withdraw, (c) => approval(c, refOf(c.req.valid('param'), c.req.valid('query').registry), false));

  router.openapi(promote, async (c) => {
    const ref = refOf(c.req.valid('param'), c.req.valid('query').registry);
    const body = c.req.valid('json');
    const [version, project, remote] = await Promise.all([findLiveVersion(deps.db, ref), findLiveProject(deps.db, ref.registry, ref.project), findLiveRemoteRegistry(deps.db, ref.registry, body.registry)]);
    if (!version || !project) return noVersion(c, ref);
    if (!remote || (remote.tenant !== null && remote.tenant !== project.tenantId)) return notFoundProblem(c, 'Remote registry not found', `no remote registry "${body.registry}" in ${ref.registry}`);
    const outcome = await mutationResponse(c, deps.mutations, modelPromotionWorkflow, {
      workflowId: promotionWorkflowId(ref.registry, ref.project, ref.model, ref.tag, remote.name),
      args: [
        {
          ref,
          remote: remote.name,
          ...(body.namespace ? { namespace: body.namespace } : {}),
          approvalTimeoutSeconds: body.approvalTimeoutSeconds ?? deps.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
          actor: actorOf(c),
        },
      ],
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: attributes(ref, 'model.promote'),
    });
    if (!outcome.done) return outcome.response;
    const { ref: r, ...rest } = outcome.result;
    return c.json({ ...r, ...rest }, 200);
  });

  router.openapi(remoteModels, async (c) => {
    const q = c.req.valid('query');
    const registry = managedRegistry(deps.registries, q.registry);
    const { name } = c.req.valid('param');
    const remote = await findLiveRemoteRegistry(deps.db, registry, name);
    if (!remote) return notFoundProblem(c, 'Remote registry not found', `no remote registry "${name}" in ${registry}`);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    const tenants = await authOf(c).tenantsAllowed('models.read');
    return c.json(pageResponse(await listRemoteModels(deps.db, remote.id, { tenants, after, limit: q.limit })), 200);
  });

  return router;
}
