import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { imageApproval, versionLocations } from '../../db/queries/locations';
import { modelAudit } from '../../db/queries/model-audit';
import { findLiveModel, findModelDetail, listModels, liveTagsOf } from '../../db/queries/models';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveVersion, imageContent } from '../../db/queries/versions';
import { compareTags, isSemver } from '../../lib/model-metadata';
import { parseFullName } from '../../lib/names';
import { ModelName, OperationKind } from '../../lib/search-attributes';
import { modelUpdateWorkflowId, refreshWorkflowId } from '../../lib/workflow-ids';
import { modelUpdateWorkflow, refreshWorkflow } from '../../workflows';
import type { AuthContext } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeSortKey, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { ModelListQuery, ModelPatchSchema } from '../schemas/models';
import { mutate } from './mutation';
import { projectAttributes } from './project-attributes';

/** A model as a request names it: `registry` as asked (the default instance when absent). */
export interface ModelRef {
  registry: string | undefined;
  project: string;
  model: string;
}

const notFound = (title: string, detail: string) => new ProblemError(problemBody(404, 'not-found', title, detail));

/** The catalogue's models, for every transport: reads straight from PostgreSQL, changes and refreshes by workflows. */
export function createModelService(deps: { db: Db; registries: string[]; mutations: MutationDeps; projects: ProjectLookup }) {
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  const readable = (auth: AuthContext, project: { tenantId: string; public: boolean }, resources: { model: string; version?: string }[]) =>
    Promise.all(resources.map((r) => auth.can('models.read', { tenant: project.tenantId, accessType: project.public ? 'public' : 'private', ...r })));

  /** The live project of that name, as the request's authorization just looked it up (from memory while nothing changed). */
  const liveProject = async (registry: string, name: string) => {
    const project = await deps.projects.find(registry, name);
    return project && !project.archived ? project : null;
  };

  /** One round trip when the project is in memory: the model, its tags and its custom metadata in one statement. */
  async function detail(auth: AuthContext, ref: { registry: string; project: string; model: string }) {
    const project = await liveProject(ref.registry, ref.project);
    const found = project && (await findModelDetail(deps.db, project, ref.model));
    if (!project || !found) throw notFound('Model not found', `no model "${ref.project}/${ref.model}" in ${ref.registry}`);
    const versions = found.tags.sort((a, b) => compareTags(a.tag, b.tag));
    // Rules may name versions (`0.1.*`, `latest`): list only those the caller may read.
    const visible = await readable(auth, project, versions.map((v) => ({ model: ref.model, version: v.tag })));
    return { ...found.model, versions: versions.filter((_, i) => visible[i]).map((v) => ({ ...v, semver: isSemver(v.tag) })), customMetadata: found.customMetadata };
  }

  return {
    async list(auth: AuthContext, project: string, q: z.infer<typeof ModelListQuery>) {
      const registry = registryOf(q.registry);
      const p = await liveProject(registry, project);
      if (!p) throw notFound('Project not found', `no project "${project}" in ${registry}`);
      const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor, { time: q.sort.endsWith('createdAt') });
      if (after === null) throw new ProblemError(invalidCursor());
      const page = await listModels(deps.db, p, { ...q, severities: q.scanSeverity?.toLowerCase().split(','), after });
      // Rules may name models: keep the ones the caller may read (the cursor follows the page as read).
      const visible = await readable(auth, p, page.items.map((m) => ({ model: m.name })));
      return pageResponse({ ...page, items: page.items.filter((_, i) => visible[i]) });
    },

    /** A full name as pasted; `field` names the request field holding it in the 400. */
    async resolve(text: string, field: string) {
      const ref = parseFullName(text);
      if (!ref) {
        throw new ProblemError(
          problemBody(400, 'validation', 'Invalid model name', `${field}: "${text}" is not [registry/]project/model[:tag|@sha256:digest]`, {
            errors: [{ field, message: 'expected [registry/]project/model[:tag|@sha256:digest]', code: 'invalid_format' }],
          }),
        );
      }
      const registry = ref.registry ?? deps.registries[0] ?? '';
      const missing = (what: string) => notFound('Not found', `${what} (from "${text}")`);
      // A name is pasted, not chosen from the document's list: an unmanaged registry is not found rather than invalid.
      if (!deps.registries.includes(registry)) throw missing(`registry ${registry} is not managed here`);
      const found = await findLiveModel(deps.db, { registry, project: ref.project, model: ref.model });
      if (!found) throw missing(`no model "${ref.project}/${ref.model}" in ${registry}`);
      const live = await liveTagsOf(deps.db, found.model.id);
      const digest = ref.digest ?? (ref.tag ? live.find((v) => v.tag === ref.tag)?.digest : undefined);
      if ((ref.tag || ref.digest) && (!digest || !live.some((v) => v.digest === digest))) throw missing(`no version ${ref.tag ? `"${ref.tag}"` : ref.digest} of "${ref.project}/${ref.model}" in ${registry}`);
      const sameImage = digest ? live.filter((v) => v.digest === digest).map((v) => v.tag).sort(compareTags) : [];
      const tag = ref.tag ?? sameImage.at(-1) ?? null;
      const base = `/api/v1/models/${ref.project}/${ref.model}`;
      const registryQuery = `?registry=${encodeURIComponent(registry)}`;
      return {
        registry,
        project: ref.project,
        model: ref.model,
        tag,
        digest: digest ?? null,
        tags: sameImage,
        fullName: `${registry}/${ref.project}/${ref.model}${ref.digest ? `@${ref.digest}` : tag ? `:${tag}` : ''}`,
        links: { model: `${base}${registryQuery}`, version: tag ? `${base}/versions/${encodeURIComponent(tag)}${registryQuery}` : null },
      };
    },

    get: (auth: AuthContext, ref: ModelRef) => detail(auth, { ...ref, registry: registryOf(ref.registry) }),

    async update(auth: AuthContext, ref: ModelRef, body: z.infer<typeof ModelPatchSchema>, idempotencyKey: string | undefined) {
      const registry = registryOf(ref.registry);
      const { project, model } = ref;
      return mutate(
        deps.mutations,
        modelUpdateWorkflow,
        {
          workflowId: modelUpdateWorkflowId(registry, project, model),
          args: [{ registry, project, model, ...body }],
          idempotencyKey,
          searchAttributes: await projectAttributes(deps.projects, registry, project, [
            { key: ModelName, value: model },
            { key: OperationKind, value: 'model.update' },
          ]),
        },
        () => detail(auth, { registry, project, model }),
      );
    },

    async version(ref: ModelRef & { tag: string }) {
      const registry = registryOf(ref.registry);
      const { project, model, tag } = ref;
      const version = await findLiveVersion(deps.db, { registry, project, model, tag });
      const p = version && (await findLiveProject(deps.db, registry, project));
      if (!version || !p) throw notFound('Version not found', `no version "${tag}" of "${project}/${model}" in ${registry}`);
      const [content, approval, locations] = await Promise.all([imageContent(deps.db, version.imageId), imageApproval(deps.db, version.imageId), versionLocations(deps.db, { projectId: p.id, model, tag })]);
      return { model, project, tag, digest: version.digest, fullName: `${registry}/${project}/${model}:${tag}`, ...content, approval, locations };
    },

    async audit(requested: ModelRef) {
      const ref = { ...requested, registry: registryOf(requested.registry) };
      const found = await findLiveModel(deps.db, ref);
      if (!found) throw notFound('Model not found', `no model "${ref.project}/${ref.model}" in ${ref.registry}`);
      const name = `${ref.registry}/${ref.project}/${ref.model}`;
      return { model: name, ...(await modelAudit(deps.db, found.model.id, `models/${name}`, found.project.createdAt)) };
    },

    /** Refreshes one model, or every model of the project when `model` is absent. */
    async refresh(ref: { registry: string | undefined; project: string; model?: string }, idempotencyKey: string | undefined) {
      const registry = registryOf(ref.registry);
      const { project, model } = ref;
      return mutate(
        deps.mutations,
        refreshWorkflow,
        {
          workflowId: refreshWorkflowId(registry, project, model),
          args: [{ registry, project, ...(model ? { model } : {}) }],
          idempotencyKey,
          searchAttributes: await projectAttributes(deps.projects, registry, project, [
            ...(model ? [{ key: ModelName, value: model }] : []),
            { key: OperationKind, value: model ? 'model.refresh' : 'project.refresh' },
          ]),
        },
        (result) => result,
      );
    },
  };
}
export type ModelService = ReturnType<typeof createModelService>;
