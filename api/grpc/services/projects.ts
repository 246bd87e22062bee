import { create } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@connectrpc/connect';
import {
  ListProjectsRequestSchema,
  ListProjectsResponseSchema,
  OnboardProjectRequestSchema,
  ProjectSchema,
  type ProjectService,
  RegisterProjectRequestSchema,
  UpdateProjectRequestSchema,
} from '../../../gen/modelregistry/v1/projects_pb';
import { RefreshResultSchema } from '../../../gen/modelregistry/v1/models_pb';
import { NameParams } from '../../schemas/common';
import { ProjectCreateSchema, ProjectDeleteQuery, ProjectListQuery, ProjectPatchSchema, ProjectRegisterSchema } from '../../schemas/projects';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { actorOf, authOf, idempotencyKeyOf } from '../context';

/** An empty string is an unset field (proto3): no registry named, the default one. */
const optional = (s: string) => (s === '' ? undefined : s);

/** ProjectService over gRPC: the project service layer, messages in and out. */
export function projectRpcs(services: Services): ServiceImpl<typeof ProjectService> {
  return {
    async onboardProject(req, ctx) {
      const body = parseAs(ProjectCreateSchema, requestJson(OnboardProjectRequestSchema, req));
      return mutationMessage(await services.projects.onboard(body, actorOf(ctx), idempotencyKeyOf(ctx)), ProjectSchema);
    },
    async registerProject(req, ctx) {
      const body = parseAs(ProjectRegisterSchema, requestJson(RegisterProjectRequestSchema, req));
      return mutationMessage(await services.projects.register(body, idempotencyKeyOf(ctx)), ProjectSchema);
    },
    async getProject(req) {
      const { name } = parseAs(NameParams, { name: req.name }, 'param');
      return toMessage(ProjectSchema, await services.projects.get(name, optional(req.registry)));
    },
    async listProjects(req, ctx) {
      const page = await services.projects.list(authOf(ctx), parseAs(ProjectListQuery, requestQuery(ListProjectsRequestSchema, req), 'query'));
      return create(ListProjectsResponseSchema, { projects: page.items.map((p) => toMessage(ProjectSchema, p)), nextPageToken: nextPageToken(page) });
    },
    async updateProject(req, ctx) {
      const { name } = parseAs(NameParams, { name: req.name }, 'param');
      // The scalars change when set; members when named in update_mask (an empty list removes them all) or given.
      const changes = requestJson(UpdateProjectRequestSchema, req);
      // name and registry say which project (REST's path and query); update_mask is no change itself.
      for (const field of ['name', 'registry', 'updateMask', 'members']) delete changes[field];
      const replaceMembers = req.members.length > 0 || (req.updateMask?.paths.includes('members') ?? false);
      const members = req.members.map((m) => ({ group: m.group, role: m.role }));
      const body = parseAs(ProjectPatchSchema, { ...changes, ...(replaceMembers ? { members } : {}) });
      return mutationMessage(await services.projects.update({ name, registry: optional(req.registry) }, body, idempotencyKeyOf(ctx)), ProjectSchema);
    },
    async deleteProject(req, ctx) {
      const { name } = parseAs(NameParams, { name: req.name }, 'param');
      const query = parseAs(ProjectDeleteQuery, { registry: optional(req.registry), purge: String(req.purge), force: String(req.force) }, 'query');
      return mutationMessage(await services.projects.remove(name, query, actorOf(ctx), idempotencyKeyOf(ctx)), ProjectSchema);
    },
    async refreshProject(req, ctx) {
      const { name } = parseAs(NameParams, { name: req.name }, 'param');
      return mutationMessage(await services.models.refresh({ registry: optional(req.registry), project: name }, idempotencyKeyOf(ctx)), RefreshResultSchema);
    },
  };
}
