import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import { modelAudit } from '../../db/queries/model-audit';
import { customMetadataOf, findLiveModel, listModels, liveTagsOf } from '../../db/queries/models';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveVersion, imageContent } from '../../db/queries/versions';
import { imageApproval, versionLocations } from '../../db/queries/locations';
import { compareTags, isSemver } from '../../lib/model-metadata';
import { parseFullName } from '../../lib/names';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import { modelUpdateWorkflowId, refreshWorkflowId } from '../../lib/workflow-ids';
import type { RefreshInput } from '../../workflows/refresh';
import { authOf, type AppEnv } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeSortKey, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, problemBody, problemResponse } from '../problem';
import { managedRegistry } from '../registry';
import { mutationResponse } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, ModelParams, NameParams, problem, RegistryQuery, VersionParams } from '../schemas/common';
import { AuditSchema, ModelDetailSchema, ModelListQuery, ModelPageSchema, ModelPatchSchema, RefreshResultSchema, ResolvedSchema, ResolveQuery, VersionDetailSchema } from '../schemas/models';
import { modelUpdateWorkflow, refreshWorkflow } from '../../workflows';

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

const noModel = (c: Context, ref: { registry: string; project: string; model: string }) => notFoundProblem(c, 'Model not found', `no model "${ref.project}/${ref.model}" in ${ref.registry}`);

/** The catalogue's models: reads straight from PostgreSQL, changes and refreshes by workflows. */
export function createModelsRouter(deps: { db: Db; registries: string[]; mutations: MutationDeps }) {
  const router = createRouter();
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  const readable = (c: Context<AppEnv>, project: { tenantId: string; public: boolean }, resources: { model: string; version?: string }[]) => {
    const auth = authOf(c);
    return Promise.all(resources.map((r) => auth.can('models.read', { tenant: project.tenantId, accessType: project.public ? 'public' : 'private', ...r })));
  };

  router.openapi(list, async (c) => {
    const { project } = c.req.valid('param');
    const q = c.req.valid('query');
    const registry = registryOf(q.registry);
    const p = await findLiveProject(deps.db, registry, project);
    if (!p) return notFoundProblem(c, 'Project not found', `no project "${project}" in ${registry}`);
    const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    const page = await listModels(deps.db, p, { ...q, severities: q.scanSeverity?.toLowerCase().split(','), after });
    // Rules may name models: keep the ones the caller may read (the cursor follows the page as read).
    const visible = await readable(c, p, page.items.map((m) => ({ model: m.name })));
    return c.json(pageResponse({ ...page, items: page.items.filter((_, i) => visible[i]) }), 200);
  });

  router.openapi(resolve, async (c) => {
    const text = c.req.valid('query').name;
    const ref = parseFullName(text);
    if (!ref) {
      return problemResponse(
        c,
        problemBody(400, 'validation', 'Invalid model name', `query.name: "${text}" is not [registry/]project/model[:tag|@sha256:digest]`, {
          errors: [{ field: 'query.name', message: 'expected [registry/]project/model[:tag|@sha256:digest]', code: 'invalid_format' }],
        }),
      );
    }
    const registry = ref.registry ?? deps.registries[0] ?? '';
    const missing = (what: string) => notFoundProblem(c, 'Not found', `${what} (from "${text}")`);
    // A name is pasted, not chosen from the document's list: an unmanaged registry is not found rather than invalid.
    if (!deps.registries.includes(registry)) return missing(`registry ${registry} is not managed here`);
    const found = await findLiveModel(deps.db, { registry, project: ref.project, model: ref.model });
    if (!found) return missing(`no model "${ref.project}/${ref.model}" in ${registry}`);
    const live = await liveTagsOf(deps.db, found.model.id);
    const digest = ref.digest ?? (ref.tag ? live.find((v) => v.tag === ref.tag)?.digest : undefined);
    if ((ref.tag || ref.digest) && (!digest || !live.some((v) => v.digest === digest))) return missing(`no version ${ref.tag ? `"${ref.tag}"` : ref.digest} of "${ref.project}/${ref.model}" in ${registry}`);
    const sameImage = digest ? live.filter((v) => v.digest === digest).map((v) => v.tag).sort(compareTags) : [];
    const tag = ref.tag ?? sameImage.at(-1) ?? null;
    const base = `/api/v1/models/${ref.project}/${ref.model}`;
    const registryQuery = `?registry=${encodeURIComponent(registry)}`;
    return c.json(
      {
        registry,
        project: ref.project,
        model: ref.model,
        tag,
        digest: digest ?? null,
        tags: sameImage,
        fullName: `${registry}/${ref.project}/${ref.model}${ref.digest ? `@${ref.digest}` : tag ? `:${tag}` : ''}`,
        links: { model: `${base}${registryQuery}`, version: tag ? `${base}/versions/${encodeURIComponent(tag)}${registryQuery}` : null },
      },
      200,
    );
  });

  const modelDetail = async (c: Context<AppEnv>, ref: { registry: string; project: string; model: string }) => {
    const found = await findLiveModel(deps.db, ref);
    if (!found) return noModel(c, ref);
    const customMetadata = await customMetadataOf(deps.db, found.model.id);
    const versions = (await liveTagsOf(deps.db, found.model.id)).sort((a, b) => compareTags(a.tag, b.tag));
    // Rules may name versions (`0.1.*`, `latest`): list only those the caller may read.
    const visible = await readable(c, found.project, versions.map((v) => ({ model: ref.model, version: v.tag })));
    return c.json({ ...found.model, versions: versions.filter((_, i) => visible[i]).map((v) => ({ ...v, semver: isSemver(v.tag) })), customMetadata }, 200);
  };

  router.openapi(getOne, (c) => modelDetail(c, { registry: registryOf(c.req.valid('query').registry), ...c.req.valid('param') }));

  router.openapi(patch, async (c) => {
    const { project, model } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const outcome = await mutationResponse(c, deps.mutations, modelUpdateWorkflow, {
      workflowId: modelUpdateWorkflowId(registry, project, model),
      args: [{ registry, project, model, ...c.req.valid('json') }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: [
        { key: ProjectName, value: project },
        { key: ModelName, value: model },
        { key: OperationKind, value: 'model.update' },
      ],
    });
    if (!outcome.done) return outcome.response;
    return modelDetail(c, { registry, project, model });
  });

  router.openapi(getVersion, async (c) => {
    const { project, model, tag } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query').registry);
    const version = await findLiveVersion(deps.db, { registry, project, model, tag });
    const p = version && (await findLiveProject(deps.db, registry, project));
    if (!version || !p) return notFoundProblem(c, 'Version not found', `no version "${tag}" of "${project}/${model}" in ${registry}`);
    const [content, approval, locations] = await Promise.all([imageContent(deps.db, version.imageId), imageApproval(deps.db, version.imageId), versionLocations(deps.db, { projectId: p.id, model, tag })]);
    return c.json({ model, project, tag, digest: version.digest, fullName: `${registry}/${project}/${model}:${tag}`, ...content, approval, locations }, 200);
  });

  router.openapi(getAudit, async (c) => {
    const ref = { registry: registryOf(c.req.valid('query').registry), ...c.req.valid('param') };
    const found = await findLiveModel(deps.db, ref);
    if (!found) return noModel(c, ref);
    const name = `${ref.registry}/${ref.project}/${ref.model}`;
    return c.json({ model: name, ...(await modelAudit(deps.db, found.model.id, `models/${name}`)) }, 200);
  });

  async function refresh(c: Context<AppEnv>, requested: string | undefined, project: string, model: string | undefined, idempotencyKey: string | undefined) {
    const registry = registryOf(requested);
    const input: RefreshInput = { registry, project, ...(model ? { model } : {}) };
    const outcome = await mutationResponse(c, deps.mutations, refreshWorkflow, {
      workflowId: refreshWorkflowId(registry, project, model),
      args: [input],
      idempotencyKey,
      searchAttributes: [{ key: ProjectName, value: project }, ...(model ? [{ key: ModelName, value: model }] : []), { key: OperationKind, value: model ? 'model.refresh' : 'project.refresh' }],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  }

  router.openapi(refreshModel, (c) => refresh(c, c.req.valid('query').registry, c.req.valid('param').project, c.req.valid('param').model, c.req.valid('header')['idempotency-key']));
  router.openapi(refreshProject, (c) => refresh(c, c.req.valid('query').registry, c.req.valid('param').name, undefined, c.req.valid('header')['idempotency-key']));
  return router;
}
