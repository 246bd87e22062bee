import { createRoute } from '@hono/zod-openapi';
import { authOf, idempotencyKeyOf } from '../auth/context';
import { answerMutation } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, ModelParams, NameParams, problem, RegistryQuery, VersionParams } from '../schemas/common';
import { AuditSchema, ModelDetailSchema, ModelListQuery, ModelPageSchema, ModelPatchSchema, RefreshResultSchema, ResolvedSchema, ResolveQuery, VersionDetailSchema } from '../schemas/models';
import type { ModelService } from '../services/models';

const tags = ['Models'];

const list = createRoute({
  method: 'get',
  path: '/projects/{project}/models',
  tags,
  summary: 'Models of a project',
  request: { params: ModelParams.pick({ project: true }), query: ModelListQuery },
  responses: { 200: json('A page of models', ModelPageSchema), 400: problem('Invalid query'), 404: problem('No such project') },
});
const getOne = createRoute({
  method: 'get',
  path: '/models/{project}/{model}',
  tags,
  summary: 'A model with its versions ordered by semantic version',
  request: { params: ModelParams, query: RegistryQuery },
  responses: { 200: json('The model', ModelDetailSchema), 404: problem('No such model') },
});
const patch = createRoute({
  method: 'patch',
  path: '/models/{project}/{model}',
  tags,
  summary: 'Change a model\'s description (also in Harbor), labels or custom metadata; kept across pushes and refreshes',
  request: { params: ModelParams, query: RegistryQuery, headers: IdempotencyKeyHeader, body: jsonBody(ModelPatchSchema) },
  responses: {
    200: json('The changed model', ModelDetailSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such model'),
    409: problem('Another change of this model is running'),
  },
});
const getVersion = createRoute({
  method: 'get',
  path: '/models/{project}/{model}/versions/{tag}',
  tags,
  summary: 'One version: digest, manifest and metadata (runtime, layers, datasets, labels)',
  request: { params: VersionParams, query: RegistryQuery },
  responses: { 200: json('The version', VersionDetailSchema), 404: problem('No such version') },
});
const resolve = createRoute({
  method: 'get',
  path: '/models/resolve',
  tags,
  summary: 'Resolve a full model name as pasted: `[registry/]project/model[:tag|@sha256:…]`',
  request: { query: ResolveQuery },
  responses: {
    200: json('What the name refers to, with links to the model and version', ResolvedSchema),
    400: problem('Not a model name'),
    404: problem('No such registry, project, model, tag or digest'),
  },
});
const getAudit = createRoute({
  method: 'get',
  path: '/models/{project}/{model}/audit',
  tags,
  summary: 'Scan and signing results and the event history (pushes, pulls, deletes, scans) of a model',
  request: { params: ModelParams, query: RegistryQuery },
  responses: { 200: json('The audit', AuditSchema), 404: problem('No such model') },
});

const refreshResponses = {
  200: json('The catalogue now matches Harbor; what changed', RefreshResultSchema),
  202: acceptedResponse,
  400: problem('Unknown registry'),
  404: problem('No such project, or no such model in Harbor'),
  409: problem('A refresh of it is running with other parameters'),
};
const refreshModel = createRoute({
  method: 'post',
  path: '/models/{project}/{model}',
  tags,
  summary: 'Refresh one model from Harbor (runbook "Refreshing Model Data")',
  request: { params: ModelParams, query: RegistryQuery, headers: IdempotencyKeyHeader },
  responses: refreshResponses,
});
const refreshProject = createRoute({
  method: 'post',
  path: '/projects/{name}/refresh',
  tags: ['Projects'],
  summary: 'Refresh every model of a project from Harbor',
  request: { params: NameParams, query: RegistryQuery, headers: IdempotencyKeyHeader },
  responses: refreshResponses,
});

/** The catalogue's models over REST: the routes of ModelService. */
export function createModelsRouter(deps: { models: ModelService }) {
  const router = createRouter();

  router.openapi(list, async (c) => c.json(await deps.models.list(authOf(c), c.req.valid('param').project, c.req.valid('query')), 200));

  router.openapi(resolve, async (c) => c.json(await deps.models.resolve(c.req.valid('query').name, 'query.name'), 200));

  router.openapi(getOne, async (c) => c.json(await deps.models.get(authOf(c), { registry: c.req.valid('query').registry, ...c.req.valid('param') }), 200));

  router.openapi(patch, async (c) => {
    const ref = { registry: c.req.valid('query').registry, ...c.req.valid('param') };
    const mutation = await deps.models.update(authOf(c), ref, c.req.valid('json'), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (model) => c.json(model, 200));
  });

  router.openapi(getVersion, async (c) => c.json(await deps.models.version({ registry: c.req.valid('query').registry, ...c.req.valid('param') }), 200));

  router.openapi(getAudit, async (c) => c.json(await deps.models.audit({ registry: c.req.valid('query').registry, ...c.req.valid('param') }), 200));

  router.openapi(refreshModel, async (c) => {
    const mutation = await deps.models.refresh({ registry: c.req.valid('query').registry, ...c.req.valid('param') }, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (result) => c.json(result, 200));
  });
  router.openapi(refreshProject, async (c) => {
    const ref = { registry: c.req.valid('query').registry, project: c.req.valid('param').name };
    const mutation = await deps.models.refresh(ref, idempotencyKeyOf(c));
    return answerMutation(c, mutation, (result) => c.json(result, 200));
  });
  return router;
}
