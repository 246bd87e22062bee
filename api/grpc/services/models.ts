import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  ListModelsRequestSchema,
  ListModelsResponseSchema,
  ModelAuditSchema,
  ModelSchema,
  type ModelService,
  ModelVersionDetailSchema,
  RefreshResultSchema,
  ResolvedModelSchema,
  UpdateModelRequestSchema,
} from '../../../gen/modelregistry/v1/models_pb';
import { ModelParams, VersionParams } from '../../schemas/common';
import { ModelListQuery, ModelPatchSchema, ResolveQuery } from '../../schemas/models';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { authOf, idempotencyKeyOf } from '../context';

const optional = (s: string) => (s === '' ? undefined : s);

/** A model named by a request: the same checks as REST's path. */
const modelRef = (req: { project: string; model: string; registry: string }) => ({ ...parseAs(ModelParams, { project: req.project, model: req.model }, 'param'), registry: optional(req.registry) });

/** ModelService over gRPC: the model service layer, messages in and out. */
export function modelRpcs(services: Services): ServiceImpl<typeof ModelService> {
  return {
    async listModels(req, ctx) {
      const { project } = parseAs(ModelParams.pick({ project: true }), { project: req.project }, 'param');
      const query = requestQuery(ListModelsRequestSchema, req);
      delete query.project; // a path parameter in REST, not a query one
      const page = await services.models.list(authOf(ctx), project, parseAs(ModelListQuery, query, 'query'));
      return create(ListModelsResponseSchema, { models: page.items.map((m) => toMessage(ModelSchema, m)), nextPageToken: nextPageToken(page) });
    },
    async getModel(req, ctx) {
      return toMessage(ModelSchema, await services.models.get(authOf(ctx), modelRef(req)));
    },
    async updateModel(req, ctx) {
      const ref = modelRef(req);
      // description changes when set; labels and custom_metadata when given or named in update_mask (empty clears).
      const named = (path: string) => req.updateMask?.paths.includes(path) ?? false;
      const { description } = requestJson(UpdateModelRequestSchema, req);
      const body = parseAs(ModelPatchSchema, {
        ...(description === undefined ? {} : { description }),
        ...(req.labels.length > 0 || named('labels') ? { labels: req.labels } : {}),
        ...(Object.keys(req.customMetadata).length > 0 || named('custom_metadata') ? { customMetadata: req.customMetadata } : {}),
      });
      return mutationMessage(await services.models.update(authOf(ctx), ref, body, idempotencyKeyOf(ctx)), ModelSchema);
    },
    async getModelVersion(req) {
      const params = parseAs(VersionParams, { project: req.project, model: req.model, tag: req.tag }, 'param');
      return toMessage(ModelVersionDetailSchema, await services.models.version({ ...params, registry: optional(req.registry) }));
    },
    async resolveModel(req) {
      const { name } = parseAs(ResolveQuery, { name: req.name }, 'query');
      return toMessage(ResolvedModelSchema, await services.models.resolve(name, 'query.name'));
    },
    async getModelAudit(req) {
      return toMessage(ModelAuditSchema, await services.models.audit(modelRef(req)));
    },
    async refreshModel(req, ctx) {
      return mutationMessage(await services.models.refresh(modelRef(req), idempotencyKeyOf(ctx)), RefreshResultSchema);
    },
  };
}
