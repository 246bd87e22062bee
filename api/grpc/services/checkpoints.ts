import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import {
  CheckpointSchema,
  CreateCheckpointRequestSchema,
  ListCheckpointsRequestSchema,
  ListCheckpointsResponseSchema,
  UpdateCheckpointRequestSchema,
  type CheckpointService,
} from '../../../gen/modelregistry/v1/checkpoints_pb';
import { CheckpointCreateSchema, CheckpointPatchSchema } from '../../schemas/checkpoints';
import { PageQuery, pathName, VersionParams } from '../../schemas/common';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { idempotencyKeyOf } from '../context';

type VersionFields = { project: string; model: string; tag: string; registry: string };

/** The version (and checkpoint) a request names, checked like REST's path. */
const versionRef = (req: VersionFields) => ({
  ...parseAs(VersionParams, { project: req.project, model: req.model, tag: req.tag }, 'param'),
  registry: req.registry === '' ? undefined : req.registry,
});
const checkpointOf = (req: { checkpoint: string }) => parseAs(z.object({ checkpoint: pathName() }), { checkpoint: req.checkpoint }, 'param').checkpoint;

/** A request's fields as REST's body: without those naming the resource (REST's path and query). */
function bodyOf(json: Record<string, unknown>, ...path: string[]) {
  for (const field of path) delete json[field];
  return json;
}
const PATH = ['project', 'model', 'tag', 'checkpoint', 'registry'];

/** CheckpointService over gRPC: the checkpoint service layer, messages in and out. */
export function checkpointRpcs(services: Services): ServiceImpl<typeof CheckpointService> {
  const checkpoints = services.checkpoints;
  return {
    async listCheckpoints(req) {
      const ref = versionRef(req);
      const { limit, cursor } = requestQuery(ListCheckpointsRequestSchema, req);
      const page = await checkpoints.list(ref, parseAs(PageQuery, { limit, cursor }, 'query'));
      return create(ListCheckpointsResponseSchema, { checkpoints: page.items.map((c) => toMessage(CheckpointSchema, c)), nextPageToken: nextPageToken(page) });
    },
    async getCheckpoint(req) {
      return toMessage(CheckpointSchema, await checkpoints.get(versionRef(req), checkpointOf(req)));
    },
    async createCheckpoint(req, ctx) {
      const ref = versionRef(req);
      const body = parseAs(CheckpointCreateSchema, bodyOf(requestJson(CreateCheckpointRequestSchema, req), ...PATH));
      return mutationMessage(await checkpoints.create(ref, body, idempotencyKeyOf(ctx)), CheckpointSchema);
    },
    async updateCheckpoint(req, ctx) {
      const ref = versionRef(req);
      const checkpoint = checkpointOf(req);
      const changes = bodyOf(requestJson(UpdateCheckpointRequestSchema, req), ...PATH, 'updateMask');
      // `metrics` named in update_mask while empty: no metrics (an empty map is not sent otherwise).
      const clearMetrics = Object.keys(req.metrics).length === 0 && (req.updateMask?.paths.includes('metrics') ?? false);
      const patch = parseAs(CheckpointPatchSchema, { ...changes, ...(clearMetrics ? { metrics: {} } : {}) });
      return mutationMessage(await checkpoints.update(ref, checkpoint, patch, idempotencyKeyOf(ctx)), CheckpointSchema);
    },
    async deleteCheckpoint(req, ctx) {
      return mutationMessage(await checkpoints.remove(versionRef(req), checkpointOf(req), idempotencyKeyOf(ctx)), CheckpointSchema);
    },
  };
}
