import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { pusherOf } from '../../db/queries/locations';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveRemoteRegistry } from '../../db/queries/registries';
import { findLiveVersion } from '../../db/queries/versions';
import type { VersionRef } from '../../lib/checkpoints';
import { DEFAULT_APPROVAL_TIMEOUT_SECONDS } from '../../lib/promotion';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { ModelName, OperationKind } from '../../lib/search-attributes';
import { approvalWorkflowId, promotionWorkflowId } from '../../lib/workflow-ids';
import { modelApprovalWorkflow, modelPromotionWorkflow } from '../../workflows';
import type { Actor } from '../../workflows/actor';
import type { MutationDeps } from '../operations';
import { problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { PromotionCreateSchema } from '../schemas/promotions';
import { mutate } from './mutation';
import { projectAttributes } from './project-attributes';

/** A model version as a request names it: `registry` (the managed Harbor instance) as asked, the default when absent. */
export interface VersionName {
  project: string;
  model: string;
  tag: string;
  registry: string | undefined;
}

/** Approval and promotion of model versions, for every transport: both are workflows. */
export function createPromotionService(deps: { db: Db; mutations: MutationDeps; projects: ProjectLookup; registries: string[]; approvalTimeoutSeconds?: number }) {
  const refOf = (req: VersionName): VersionRef => ({ registry: managedRegistry(deps.registries, req.registry), project: req.project, model: req.model, tag: req.tag });
  const noVersion = (ref: VersionRef) => new ProblemError(problemBody(404, 'not-found', 'Version not found', `no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`));
  const attributes = (ref: VersionRef, kind: string) =>
    projectAttributes(deps.projects, ref.registry, ref.project, [
      { key: ModelName, value: ref.model },
      { key: OperationKind, value: kind },
    ]);

  return {
    /** Approves (or withdraws the approval of) the version; wakes its waiting promotions. */
    async approval(req: VersionName, approveIt: boolean, actor: Actor, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      const version = await findLiveVersion(deps.db, ref);
      if (!version) throw noVersion(ref);
      // Four eyes: the account Harbor saw push this digest never approves it.
      if (approveIt && (await pusherOf(deps.db, `models/${ref.registry}/${ref.project}/${ref.model}`, version.digest)) === actor.username) {
        throw new ProblemError(problemBody(403, 'forbidden', 'Forbidden', `${actor.username} pushed ${ref.project}/${ref.model}:${ref.tag} (${version.digest}) and so may not approve it`, { action: 'models.approve', reason: 'pusher' }));
      }
      return mutate(
        deps.mutations,
        modelApprovalWorkflow,
        { workflowId: approvalWorkflowId(ref.registry, ref.project, ref.model, ref.tag), args: [{ ref, approve: approveIt, actor }], idempotencyKey, searchAttributes: await attributes(ref, approveIt ? 'model.approve' : 'model.approval_withdraw') },
        (result) => result,
      );
    },

    /** Gates, an approval (waited for), a one-off Harbor push replication and the digest verified on the remote registry. */
    async promote(req: VersionName, body: z.infer<typeof PromotionCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      const [version, project, remote] = await Promise.all([findLiveVersion(deps.db, ref), findLiveProject(deps.db, ref.registry, ref.project), findLiveRemoteRegistry(deps.db, ref.registry, body.registry)]);
      if (!version || !project) throw noVersion(ref);
      if (!remote || (remote.tenant !== null && remote.tenant !== project.tenantId)) {
        throw new ProblemError(problemBody(404, 'not-found', 'Remote registry not found', `no remote registry "${body.registry}" in ${ref.registry}`));
      }
      const input = {
        ref,
        remote: remote.name,
        ...(body.namespace ? { namespace: body.namespace } : {}),
        approvalTimeoutSeconds: body.approvalTimeoutSeconds ?? deps.approvalTimeoutSeconds ?? DEFAULT_APPROVAL_TIMEOUT_SECONDS,
        actor,
      };
      return mutate(
        deps.mutations,
        modelPromotionWorkflow,
        { workflowId: promotionWorkflowId(ref.registry, ref.project, ref.model, ref.tag, remote.name), args: [input], idempotencyKey, searchAttributes: await attributes(ref, 'model.promote') },
        ({ ref: r, ...rest }) => ({ ...r, ...rest }),
      );
    },
  };
}
export type PromotionService = ReturnType<typeof createPromotionService>;
