import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import type { Workflow } from '@temporalio/common';
import { findLiveCheckpoint, listCheckpoints } from '../../db/queries/checkpoints';
import { findLiveVersion } from '../../db/queries/versions';
import type { VersionRef } from '../../lib/checkpoints';
import { checkpointCreateWorkflow, checkpointDeleteWorkflow, checkpointUpdateWorkflow } from '../../workflows';
import { checkpointWorkflowId } from '../../lib/workflow-ids';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { CheckpointCreateSchema, CheckpointPageSchema, CheckpointPatchSchema, CheckpointSchema } from '../schemas/checkpoints';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, PageQuery, pathName, problem, RegistryQuery, VersionParams } from '../schemas/common';

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

/** Checkpoints of model versions: writes by workflows, reads from the catalogue. */
export function createCheckpointsRouter(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const router = createRouter();
  const refOf = (p: { project: string; model: string; tag: string }, requested: string | undefined): VersionRef => ({
    registry: managedRegistry(deps.registries, requested),
    project: p.project,
    model: p.model,
    tag: p.tag,
  });
  const noVersion = (c: Context, ref: VersionRef) => notFoundProblem(c, 'Version not found', `no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`);
  const run = <W extends Workflow>(c: Context, ref: VersionRef, kind: string, workflowFn: W, name: string, args: Parameters<W>, idempotencyKey: string | undefined) =>
    mutationResponse(c, deps.mutations, workflowFn, {
      workflowId: checkpointWorkflowId(ref.registry, ref.project, ref.model, ref.tag, name),
      args,
      idempotencyKey,
      searchAttributes: [
        { key: ProjectName, value: ref.project },
        { key: ModelName, value: ref.model },
        { key: OperationKind, value: kind },
      ],
    });

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const ref = refOf(c.req.valid('param'), q.registry);
    const version = await findLiveVersion(deps.db, ref);
    if (!version) return noVersion(c, ref);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    return c.json(pageResponse(await listCheckpoints(deps.db, { modelId: version.modelId, tag: ref.tag }, { after, limit: q.limit })), 200);
  });

  router.openapi(getOne, async (c) => {
    const params = c.req.valid('param');
    const ref = refOf(params, c.req.valid('query').registry);
    const version = await findLiveVersion(deps.db, ref);
    const found = version && (await findLiveCheckpoint(deps.db, { modelId: version.modelId, tag: ref.tag }, params.checkpoint));
    if (!found) return notFoundProblem(c, 'Checkpoint not found', `version "${ref.tag}" of "${ref.project}/${ref.model}" has no checkpoint "${params.checkpoint}"`);
    return c.json(found, 200);
  });

  router.openapi(create, async (c) => {
    const ref = refOf(c.req.valid('param'), c.req.valid('query').registry);
    const body = c.req.valid('json');
    const outcome = await run(c, ref, 'checkpoint.create', checkpointCreateWorkflow, body.name, [ref, body], c.req.valid('header')['idempotency-key']);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 201);
  });

  router.openapi(patch, async (c) => {
    const params = c.req.valid('param');
    const ref = refOf(params, c.req.valid('query').registry);
    const outcome = await run(c, ref, 'checkpoint.update', checkpointUpdateWorkflow, params.checkpoint, [ref, params.checkpoint, c.req.valid('json')], c.req.valid('header')['idempotency-key']);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(remove, async (c) => {
    const params = c.req.valid('param');
    const ref = refOf(params, c.req.valid('query').registry);
    const outcome = await run(c, ref, 'checkpoint.delete', checkpointDeleteWorkflow, params.checkpoint, [ref, params.checkpoint], c.req.valid('header')['idempotency-key']);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  return router;
}
