import type { ServiceImpl } from '@connectrpc/connect';
import { ApprovalSchema, PromoteVersionRequestSchema, PromotionSchema, type PromotionService } from '../../../gen/modelregistry/v1/promotions_pb';
import { VersionParams } from '../../schemas/common';
import { PromotionCreateSchema } from '../../schemas/promotions';
import type { Services } from '../../services';
import { mutationMessage, parseAs, requestJson } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';
import { renamingFields } from '../renamed-fields';

const optional = (s: string) => (s === '' ? undefined : s);

/** The version a request names, checked like REST's path. */
const versionOf = (req: { project: string; model: string; tag: string; registry: string }) => ({
  ...parseAs(VersionParams, { project: req.project, model: req.model, tag: req.tag }, 'param'),
  registry: optional(req.registry),
});

/** A promotion request's fields as REST's body: the remote registry is REST's body `registry`. */
function promotionBody(json: Record<string, unknown>) {
  const { remoteRegistry, namespace, approvalTimeoutSeconds } = json;
  return { registry: remoteRegistry ?? '', namespace, approvalTimeoutSeconds };
}

/** PromotionService over gRPC: the promotion service layer, messages in and out. */
export function promotionRpcs(services: Services): ServiceImpl<typeof PromotionService> {
  const promotions = services.promotions;
  return {
    async approveVersion(req, ctx) {
      return mutationMessage(await promotions.approval(versionOf(req), true, actorOf(ctx), idempotencyKeyOf(ctx)), ApprovalSchema);
    },
    async withdrawVersionApproval(req, ctx) {
      return mutationMessage(await promotions.approval(versionOf(req), false, actorOf(ctx), idempotencyKeyOf(ctx)), ApprovalSchema);
    },
    async promoteVersion(req, ctx) {
      const ref = versionOf(req);
      const body = await renamingFields({ 'body.registry': 'body.remoteRegistry' }, () => parseAs(PromotionCreateSchema, promotionBody(requestJson(PromoteVersionRequestSchema, req))));
      return mutationMessage(await promotions.promote(ref, body, actorOf(ctx), idempotencyKeyOf(ctx)), PromotionSchema);
    },
  };
}
