import { createRoute } from '@hono/zod-openapi';
import { idempotencyKeyOf } from '../auth/context';
import { createRouter } from '../router';
import { answerMutation } from '../respond';
import { CheckpointCreateSchema, CheckpointPageSchema, CheckpointPatchSchema, CheckpointSchema } from '../schemas/checkpoints';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, pathName, problem, RegistryQuery, VersionParams } from '../schemas/common';
import type { CheckpointService } from '../services/checkpoints';

const versionParams = VersionParams;
const checkpointParams = VersionParams.extend({ checkpoint: pathName() });
const query = RegistryQuery;
const tags_ = ['Checkpoints'];
const base = '/models/{project}/{model}/versions/{tag}/checkpoints';
const one = { 200: json('The checkpoint', CheckpointSchema) };
const writes = { 202: acceptedResponse, 400: problem('Invalid body'), 404: problem('No such version or checkpoint'), 409: problem('A checkpoint of that name exists, or a change of it is running') };

const list = createRoute({
  method: 'get',
  path: base,
  tags: tags_,
  summary: 'Checkpoints of a model version',
  request: { params: versionParams, query: PageQuery.merge(query) },
  responses: { 200: json('A page of checkpoints', CheckpointPageSchema), 404: problem('No such version') },
});
const create = createRoute({
  method: 'post',
  path: base,
  tags: tags_,
  summary: 'Record a checkpoint of a model version (its files stay where the URI points)',
  request: { params: versionParams, query, headers: IdempotencyKeyHeader, body: jsonBody(CheckpointCreateSchema) },
  responses: { 201: json('Recorded', CheckpointSchema), ...writes },
});
const getOne = createRoute({ method: 'get', path: `${base}/{checkpoint}`, tags: tags_, summary: 'A checkpoint', request: { params: checkpointParams, query }, responses: { ...one, 404: problem('No such checkpoint') } });
const patch = createRoute({
  method: 'patch',
  path: `${base}/{checkpoint}`,
  tags: tags_,
  summary: 'Change a checkpoint',
  request: { params: checkpointParams, query, headers: IdempotencyKeyHeader, body: jsonBody(CheckpointPatchSchema) },
  responses: { ...one, ...writes },
});
const remove = createRoute({
  method: 'delete',
  path: `${base}/{checkpoint}`,
  tags: tags_,
  summary: 'Archive a checkpoint record (the files are not touched)',
  request: { params: checkpointParams, query, headers: IdempotencyKeyHeader },
  responses: { ...one, 202: acceptedResponse, 404: problem('No such checkpoint') },
});

/** Checkpoints of model versions: writes by workflows, reads from the catalogue (api/services/checkpoints.ts). */
export function createCheckpointsRouter(deps: { checkpoints: CheckpointService }) {
  const router = createRouter();
  const refOf = (p: { project: string; model: string; tag: string }, registry: string | undefined) => ({ registry, project: p.project, model: p.model, tag: p.tag });

  router.openapi(list, async (c) => {
    const { registry, ...page } = c.req.valid('query');
    return c.json(await deps.checkpoints.list(refOf(c.req.valid('param'), registry), page), 200);
  });

  router.openapi(getOne, async (c) => {
    const params = c.req.valid('param');
    return c.json(await deps.checkpoints.get(refOf(params, c.req.valid('query').registry), params.checkpoint), 200);
  });

  router.openapi(create, async (c) => {
    const mutation = await deps.checkpoints.create(refOf(c.req.valid('param'), c.req.valid('query').registry), c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (checkpoint) => c.json(checkpoint, 201));
  });

  router.openapi(patch, async (c) => {
    const params = c.req.valid('param');
    const mutation = await deps.checkpoints.update(refOf(params, c.req.valid('query').registry), params.checkpoint, c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (checkpoint) => c.json(checkpoint, 200));
  });

  router.openapi(remove, async (c) => {
    const params = c.req.valid('param');
    const mutation = await deps.checkpoints.remove(refOf(params, c.req.valid('query').registry), params.checkpoint, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (checkpoint) => c.json(checkpoint, 200));
  });

  return router;
}
