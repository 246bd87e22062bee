import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { and, arrayContains, asc, desc, eq, inArray, like, not, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { auditEvents, images, manifests, metadata, modelOverrides, models, modelTypes, projects, repositories, signatures, signatureTypes, tags, validationResults } from '../../db/schema';
import { compareTags, isSemver } from '../../lib/model-metadata';
import { FULL_NAME_PATTERN, parseFullName } from '../../lib/names';
import { isoTime } from '../../lib/time';
import { authOf } from '../auth/middleware';
import { decodeSortKey, encodeCursor, escapeLike } from '../pagination';
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
  // The model types are lookup rows fixed by migration: read once.
  let typeCodes: Promise<Map<number, string>> | undefined;
  const typeCode = async (id: number) => (await (typeCodes ??= deps.db.select().from(modelTypes).then((rows) => new Map(rows.map((r) => [r.id, r.code]))))).get(id) ?? 'unknown';
  const toModel = async (m: typeof models.$inferSelect, project: string, registry: string) => ({
    id: m.id,
    name: m.name,
    type: await typeCode(m.typeId),
    project,
    registry,
    displayName: m.displayName,
    description: m.description,
    author: m.author,
    organization: m.organization,
    license: m.license,
    url: m.url,
    labels: m.tags ?? [],
    archived: m.isArchived,
    createdAt: isoTime(m.creationDate),
  });
  const readable = (c: Context, tenant: string, isPublic: boolean, resources: { model: string; version?: string }[]) => {
    const auth = authOf(c);
    return Promise.all(resources.map((r) => auth.can('models.read', { tenant, accessType: isPublic ? 'public' : 'private', ...r })));
  };
  const liveProject = async (registry: string, name: string) =>
    (await deps.db.select({ id: projects.id, tenant: projects.tenantId, isPublic: projects.isPublic }).from(projects).where(and(eq(projects.harborAddress, registry), eq(projects.name, name), eq(projects.isArchived, false))).limit(1))[0];
  const liveModel = async (projectId: string, name: string) =>
    (await deps.db.select().from(models).where(and(eq(models.projectId, projectId), eq(models.name, name), eq(models.isArchived, false))).limit(1))[0];

  router.openapi(listModels, async (c) => {
    const { project } = c.req.valid('param');
    const q = c.req.valid('query');
    const registry = registryOf(q);
    const p = await liveProject(registry, project);
    if (!p) return problemResponse(c, problemBody(404, 'not-found', 'Project not found', `no project "${project}" in ${registry}`));
    let after: { value: string; id: string } | undefined;
    if (q.cursor !== undefined) {
      const key = decodeSortKey(q.cursor);
      if (!key) return invalidCursorProblem(c);
      after = key;
    }
    const descending = q.sort.startsWith('-');
    // Models without a creation date sort as the epoch, so the keyset stays total.
    const column = q.sort.endsWith('createdAt') ? sql<string>`coalesce(${models.creationDate}, 'epoch'::timestamptz)` : sql<string>`${models.name}`;
    const beyond = (key: { value: string; id: string }) =>
      descending ? sql`(${column}, ${models.id}) < (${key.value}, ${key.id})` : sql`(${column}, ${models.id}) > (${key.value}, ${key.id})`;
    const severities = q.scanSeverity?.toLowerCase().split(',');
    const signed = sql`exists (select 1 from ${signatures} join ${images} on ${images.id} = ${signatures.imageId} where ${images.modelId} = ${models.id} and not ${images.isArchived} and not ${signatures.isArchived})`;
    const rows = await deps.db
      .select({ model: models, sortValue: sql<string>`${column}::text` })
      .from(models)
      .where(
        and(
          eq(models.projectId, p.id),
          eq(models.isArchived, q.archived),
          q.namePrefix ? like(models.name, `${escapeLike(q.namePrefix)}%`) : undefined,
          q.author ? eq(models.author, q.author) : undefined,
          q.type ? sql`${models.typeId} = (select ${modelTypes.id} from ${modelTypes} where ${modelTypes.code} = ${q.type})` : undefined,
          q.label ? arrayContains(models.tags, [q.label]) : undefined,
          q.hasSignature === undefined ? undefined : q.hasSignature ? signed : not(signed),
          severities
            ? sql`exists (select 1 from ${validationResults} join ${images} on ${images.id} = ${validationResults.imageId} where ${images.modelId} = ${models.id} and not ${images.isArchived} and lower(${validationResults.scanSeverity}) in ${severities})`
            : undefined,
          after ? beyond(after) : undefined,
        ),
      )
      .orderBy(descending ? desc(column) : asc(column), descending ? desc(models.id) : asc(models.id))
      .limit(q.limit + 1)
      .then((r) => r.map((x) => ({ ...x.model, sortValue: x.sortValue })));
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    // Rules may name models: keep the ones the caller may read (the cursor follows the page as read).
    const visible = await readable(c, p.tenant, p.isPublic, page.map((m) => ({ model: m.name })));
    const nextCursor = rows.length > q.limit && last ? encodeCursor(JSON.stringify({ value: last.sortValue, id: last.id })) : null;
    return c.json({ items: await Promise.all(page.filter((_, i) => visible[i]).map((m) => toModel(m, project, registry))), nextCursor }, 200);
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
    const p = await liveProject(registry, ref.project);
    const m = p && (await liveModel(p.id, ref.model));
    if (!m) return missing(`no model "${ref.project}/${ref.model}" in ${registry}`);
    const live = await deps.db
      .select({ tag: tags.name, digest: images.digest })
      .from(tags)
      .innerJoin(images, eq(images.id, tags.imageId))
      .where(and(eq(images.modelId, m.id), eq(images.isArchived, false), eq(tags.isArchived, false)));
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
    const p = await liveProject(registry, project);
    const m = p && (await liveModel(p.id, model));
    if (!m) return problemResponse(c, problemBody(404, 'not-found', 'Model not found', `no model "${project}/${model}" in ${registry}`));
    const [override] = await deps.db.select({ customMetadata: modelOverrides.customMetadata }).from(modelOverrides).where(eq(modelOverrides.modelId, m.id));
    const versions = await deps.db
      .select({ tag: tags.name, digest: images.digest })
      .from(tags)
      .innerJoin(images, eq(images.id, tags.imageId))
      .where(and(eq(images.modelId, m.id), eq(images.isArchived, false), eq(tags.isArchived, false)));
    versions.sort((a, b) => compareTags(a.tag, b.tag));
    // Rules may name versions (`0.1.*`, `latest`): list only those the caller may read.
    const visible = await readable(c, p.tenant, p.isPublic, versions.map((v) => ({ model, version: v.tag })));
    return c.json(
      { ...(await toModel(m, project, registry)), versions: versions.filter((_, i) => visible[i]).map((v) => ({ ...v, semver: isSemver(v.tag) })), customMetadata: override?.customMetadata ?? {} },
      200,
    );
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
    const p = await liveProject(registry, project);
    const m = p && (await liveModel(p.id, model));
    const [version] = m
      ? await deps.db
          .select({ imageId: images.id, digest: images.digest })
          .from(tags)
          .innerJoin(images, eq(images.id, tags.imageId))
          .innerJoin(repositories, eq(repositories.id, images.repositoryId))
          .where(and(eq(images.modelId, m.id), eq(tags.name, tag), eq(tags.isArchived, false), eq(images.isArchived, false)))
          .limit(1)
      : [];
    if (!version) return problemResponse(c, problemBody(404, 'not-found', 'Version not found', `no version "${tag}" of "${project}/${model}" in ${registry}`));
    const [manifest] = await deps.db.select({ content: manifests.content }).from(manifests).where(eq(manifests.imageId, version.imageId)).limit(1);
    const rows = await deps.db.select().from(metadata).where(inArray(metadata.imageId, [version.imageId]));
    type Node = { name: string; value: string | null; children: Node[] };
    const nodes = new Map(rows.map((r) => [r.id, { name: r.name, value: r.value, children: [] as Node[] }]));
    const roots: Node[] = [];
    for (const r of rows) (r.parentId ? nodes.get(r.parentId)?.children : roots)?.push(nodes.get(r.id)!);
    return c.json(
      { model, project, tag, digest: version.digest, fullName: `${registry}/${project}/${model}:${tag}`, manifest: manifest ? (JSON.parse(manifest.content) as unknown) : null, metadata: roots },
      200,
    );
  });
  router.openapi(getAudit, async (c) => {
    const { project, model } = c.req.valid('param');
    const registry = registryOf(c.req.valid('query'));
    const p = await liveProject(registry, project);
    const m = p && (await liveModel(p.id, model));
    if (!m) return problemResponse(c, problemBody(404, 'not-found', 'Model not found', `no model "${project}/${model}" in ${registry}`));
    const scans = await deps.db
      .select({ digest: images.digest, tag: validationResults.tag, scanner: validationResults.scannerName, status: validationResults.scanStatus, severity: validationResults.scanSeverity, summary: validationResults.scanSummary, endTime: validationResults.endTime })
      .from(validationResults)
      .innerJoin(images, eq(images.id, validationResults.imageId))
      .where(eq(images.modelId, m.id))
      .orderBy(desc(validationResults.endTime));
    const signed = await deps.db
      .select({ digest: images.digest, signature: signatures.digest, type: signatureTypes.code })
      .from(signatures)
      .innerJoin(images, eq(images.id, signatures.imageId))
      .innerJoin(signatureTypes, eq(signatureTypes.id, signatures.typeId))
      .where(eq(images.modelId, m.id));
    const events = await deps.db
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.resource, `models/${registry}/${project}/${model}`))
      .orderBy(desc(auditEvents.occurredAt))
      .limit(500);
    return c.json(
      {
        model: `${registry}/${project}/${model}`,
        scans: scans.map((x) => ({ ...x, summary: x.summary ? (JSON.parse(x.summary) as unknown) : null, endTime: isoTime(x.endTime) })),
        signatures: signed,
        events: events.map((e) => ({ action: e.action, actor: e.actor, occurredAt: isoTime(e.occurredAt)!, details: e.details })),
      },
      200,
    );
  });
  return router;
}
