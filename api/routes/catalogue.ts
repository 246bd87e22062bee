import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Db } from '../../db/client';
import { modelAudit } from '../../db/queries/model-audit';
import { customMetadataOf, findLiveModel, listModels as modelsPage, liveTagsOf } from '../../db/queries/models';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveVersion, imageContent } from '../../db/queries/versions';
import { compareTags, isSemver } from '../../lib/model-metadata';
import { FULL_NAME_PATTERN, parseFullName } from '../../lib/names';
import { authOf } from '../auth/middleware';
import { decodeSortKey, pageResponse } from '../pagination';
import { invalidCursorProblem, problemBody, problemResponse, unknownRegistryProblem, validationHook } from '../problem';
import { acceptedResponse, IdempotencyKeyHeader, PageQuery, problem } from '../schemas/common';
import type { MutationDeps } from '../operations';
import { mutationResponse } from '../respond';
import { modelUpdateWorkflowId } from '../../lib/workflow-ids';
import { ModelName, OperationKind, ProjectName } from '../../lib/search-attributes';
import { line, singleLine, text } from '../../lib/text';

const ModelSchema = z
  .object({
    id: z.uuid(),
    name: z.string(),
    type: z.string().openapi({ description: 'Model type code (`unknown` when the artifact does not say)' }),
    project: z.string(),
    registry: z.string(),
    displayName: z.string().nullable(),
    description: z.string().nullable(),
    author: z.string().nullable(),
    organization: z.string().nullable(),
    license: z.string().nullable(),
    url: z.string().nullable(),
    labels: z.array(z.string()),
    archived: z.boolean(),
    createdAt: z.string().nullable(),
  })
  .openapi('Model');
const VersionSchema = z.object({ tag: z.string(), semver: z.boolean(), digest: z.string() }).openapi('ModelVersion');
const ModelDetailSchema = ModelSchema.extend({
  versions: z.array(VersionSchema).openapi({ description: 'Semantic versions in order (pre-releases first), then other tags' }),
  customMetadata: z.record(z.string(), z.string()).openapi({ description: 'Set by users (PATCH); kept across pushes and refreshes' }),
}).openapi('ModelDetail');
const ModelPatchSchema = z
  .object({
    description: text().max(4096).optional(),
    labels: z.array(line().min(1).max(255)).max(100).optional().openapi({ example: ['team=nlp', 'approved'] }),
    customMetadata: z.record(line().min(1).max(255), text().max(4096)).optional().openapi({ example: { owner: 'ml-platform' } }),
  })
  .strict()
  .refine((b) => b.description !== undefined || b.labels !== undefined || b.customMetadata !== undefined, { message: 'set at least one of description, labels, customMetadata' })
  .meta({ minProperties: 1 }) // the refine, in the document
  .openapi('ModelPatch');
const patchModel = createRoute({
  method: 'patch',
  path: '/models/{project}/{model}',
  tags: ['Models'],
  summary: 'Change a model\'s description (also in Harbor), labels or custom metadata; kept across pushes and refreshes',
  request: { params: z.object({ project: line().min(1).max(255), model: line().min(1).max(255) }), query: z.object({ registry: line().max(255).optional() }), headers: IdempotencyKeyHeader, body: { required: true, content: { 'application/json': { schema: ModelPatchSchema } } } },
  responses: {
    200: { description: 'The changed model', content: { 'application/json': { schema: ModelDetailSchema } } },
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such model'),
    409: problem('Another change of this model is running'),
  },
});
const VersionDetailSchema = z
  .object({ model: z.string(), project: z.string(), tag: z.string(), digest: z.string(), fullName: z.string(), manifest: z.unknown().nullable(), metadata: z.array(z.unknown()).openapi({ description: 'A tree of {name, value, children}: runtime, layers, datasets, labels' }) })
  .openapi('ModelVersionDetail');

const ModelParams = z.object({ project: line().min(1).max(255), model: line().min(1).max(255) });
const RegistryQuery = z.object({ registry: line().max(255).optional() });

const listModels = createRoute({
  method: 'get',
  path: '/projects/{project}/models',
  tags: ['Models'],
  summary: 'Models of a project',
  request: {
    params: z.object({ project: line().min(1).max(255) }),
    query: PageQuery.merge(RegistryQuery).extend({
      namePrefix: line().max(255).optional(),
      author: line().max(255).optional(),
      type: line().max(150).optional().openapi({ description: 'Model type code, e.g. `text-generation`' }),
      label: line().max(255).optional().openapi({ description: 'Models carrying this label' }),
      hasSignature: z.enum(['true', 'false']).optional().transform((v) => (v === undefined ? undefined : v === 'true')).openapi({ description: 'Models with (or without) a signed live image' }),
      scanSeverity: z
        .string()
        .max(100)
        .regex(/^(none|unknown|low|medium|high|critical)(,(none|unknown|low|medium|high|critical))*$/i, 'a comma list of none, unknown, low, medium, high, critical')
        .check(singleLine)
        .optional()
        .openapi({ description: 'Models with a live image whose scan found one of these severities, e.g. `high,critical`' }),
      sort: z.enum(['name', '-name', 'createdAt', '-createdAt']).default('name'),
      archived: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
    }),
  },
  responses: { 200: { description: 'A page of models', content: { 'application/json': { schema: z.object({ items: z.array(ModelSchema), nextCursor: z.string().nullable() }) } } }, 400: problem('Invalid query'), 404: problem('No such project') },
});
const getModel = createRoute({
  method: 'get',
  path: '/models/{project}/{model}',
  tags: ['Models'],
  summary: 'A model with its versions ordered by semantic version',
  request: { params: ModelParams, query: RegistryQuery },
  responses: { 200: { description: 'The model', content: { 'application/json': { schema: ModelDetailSchema } } }, 404: problem('No such model') },
});
const getVersion = createRoute({
  method: 'get',
  path: '/models/{project}/{model}/versions/{tag}',
  tags: ['Models'],
  summary: 'One version: digest, manifest and metadata (runtime, layers, datasets, labels)',
  request: { params: ModelParams.extend({ tag: line().min(1).max(128) }), query: RegistryQuery },
  responses: { 200: { description: 'The version', content: { 'application/json': { schema: VersionDetailSchema } } }, 404: problem('No such version') },
});

const ResolvedSchema = z
  .object({
    registry: z.string(),
    project: z.string(),
    model: z.string(),
    tag: z.string().nullable(),
    digest: z.string().nullable(),
    tags: z.array(z.string()).openapi({ description: 'Every live tag of the digest (with a digest or tag reference)' }),
    fullName: z.string(),
    links: z.object({ model: z.string(), version: z.string().nullable() }),
  })
  .openapi('ResolvedModelName');
const resolveName = createRoute({
  method: 'get',
  path: '/models/resolve',
  tags: ['Models'],
  summary: 'Resolve a full model name as pasted: `[registry/]project/model[:tag|@sha256:…]`',
  request: { query: z.object({ name: z.string().min(3).max(1024).regex(FULL_NAME_PATTERN).check(singleLine).openapi({ example: 'harbor.example.com/my-project/llama:1.2.0' }) }) },
  responses: {
    200: { description: 'What the name refers to, with links to the model and version', content: { 'application/json': { schema: ResolvedSchema } } },
    400: problem('Not a model name'),
    404: problem('No such registry, project, model, tag or digest'),
  },
});

const AuditSchema = z
  .object({
    model: z.string(),
    scans: z.array(z.object({ digest: z.string(), tag: z.string(), scanner: z.string().nullable(), status: z.string().nullable(), severity: z.string().nullable(), summary: z.unknown().nullable(), endTime: z.string().nullable() })),
    signatures: z.array(z.object({ digest: z.string(), signature: z.string(), type: z.string() })),
    events: z.array(z.object({ action: z.string(), actor: z.string().nullable(), occurredAt: z.string(), details: z.unknown() })),
  })
  .openapi('ModelAudit');

const getAudit = createRoute({
  method: 'get',
  path: '/models/{project}/{model}/audit',
  tags: ['Models'],
  summary: 'Scan and signing results and the event history (pushes, pulls, deletes, scans) of a model',
  request: { params: ModelParams, query: RegistryQuery },
  responses: { 200: { description: 'The audit', content: { 'application/json': { schema: AuditSchema } } }, 404: problem('No such model') },
});

/** Read models of the catalogue: straight from PostgreSQL, no workflow. */
export function createCatalogueRouter(deps: { db: Db; registries: string[]; mutations: MutationDeps }) {
  const router = new OpenAPIHono({ defaultHook: validationHook });
  const registryOf = (q: { registry?: string }) => q.registry ?? deps.registries[0] ?? '';
  const readable = (c: Context, tenant: string, isPublic: boolean, resources: { model: string; version?: string }[]) => {
    const auth = authOf(c);
    return Promise.all(resources.map((r) => auth.can('models.read', { tenant, accessType: isPublic ? 'public' : 'private', ...r })));
  };
  router.openapi(listModels, async (c) => {
    const { project } = c.req.valid('param');
    const q = c.req.valid('query');
    const registry = registryOf(q);
    const p = await findLiveProject(deps.db, registry, project);
    if (!p) return problemResponse(c, problemBody(404, 'not-found', 'Project not found', `no project "${project}" in ${registry}`));
    let after: { value: string; id: string } | undefined;
    if (q.cursor !== undefined) {
      const key = decodeSortKey(q.cursor);
      if (!key) return invalidCursorProblem(c);
      after = key;
    }
    const page = await modelsPage(deps.db, p, { ...q, severities: q.scanSeverity?.toLowerCase().split(','), after });
    // Rules may name models: keep the ones the caller may read (the cursor follows the page as read).
    const visible = await readable(c, p.tenantId, p.public, page.items.map((m) => ({ model: m.name })));
    return c.json(pageResponse({ ...page, items: page.items.filter((_, i) => visible[i]) }), 200);
  });

  router.openapi(resolveName, async (c) => {
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
    const missing = (what: string) => problemResponse(c, problemBody(404, 'not-found', 'Not found', `${what} (from "${text}")`));
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

  const modelDetail = async (c: Context, registry: string, project: string, model: string) => {
    const found = await findLiveModel(deps.db, { registry, project, model });
    if (!found) return problemResponse(c, problemBody(404, 'not-found', 'Model not found', `no model "${project}/${model}" in ${registry}`));
    const customMetadata = await customMetadataOf(deps.db, found.model.id);
    const versions = (await liveTagsOf(deps.db, found.model.id)).sort((a, b) => compareTags(a.tag, b.tag));
    // Rules may name versions (`0.1.*`, `latest`): list only those the caller may read.
    const visible = await readable(c, found.project.tenantId, found.project.public, versions.map((v) => ({ model, version: v.tag })));
    return c.json({ ...found.model, versions: versions.filter((_, i) => visible[i]).map((v) => ({ ...v, semver: isSemver(v.tag) })), customMetadata }, 200);
  };

  router.openapi(getModel, (c) => modelDetail(c, registryOf(c.req.valid('query')), c.req.valid('param').project, c.req.valid('param').model));

  router.openapi(patchModel, async (c) => {
    const { project, model } = c.req.valid('param');
    const requested = c.req.valid('query').registry;
    const registry = registryOf({ registry: requested });
    if (!deps.registries.includes(registry)) return unknownRegistryProblem(c, deps.registries, requested, 'query.registry');
    const outcome = await mutationResponse(c, deps.mutations, {
      workflowType: 'modelUpdateWorkflow',
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
    return modelDetail(c, registry, project, model);
  });

  router.openapi(getVersion, async (c) => {
    const { project, model, tag } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query'));
    const version = await findLiveVersion(deps.db, { registry, project, model, tag });
    if (!version) return problemResponse(c, problemBody(404, 'not-found', 'Version not found', `no version "${tag}" of "${project}/${model}" in ${registry}`));
    return c.json({ model, project, tag, digest: version.digest, fullName: `${registry}/${project}/${model}:${tag}`, ...(await imageContent(deps.db, version.imageId)) }, 200);
  });
  router.openapi(getAudit, async (c) => {
    const { project, model } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query'));
    const found = await findLiveModel(deps.db, { registry, project, model });
    if (!found) return problemResponse(c, problemBody(404, 'not-found', 'Model not found', `no model "${project}/${model}" in ${registry}`));
    const resource = `models/${registry}/${project}/${model}`;
    return c.json({ model: `${registry}/${project}/${model}`, ...(await modelAudit(deps.db, found.model.id, resource)) }, 200);
  });
  return router;
}
