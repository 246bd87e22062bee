import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findProject, listProjects, type ProjectSettings } from '../../db/queries/projects';
import { robotFullNameTooLong } from '../../lib/names';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import type { SecretBox } from '../../lib/secrets';
import { projectWorkflowId } from '../../lib/workflow-ids';
import { projectDeleteWorkflow, projectOnboardingWorkflow, projectRegistrationWorkflow, projectUpdateWorkflow } from '../../workflows';
import type { ProjectOnboardingInput, ProjectRegistrationInput, ProjectUpdateInput } from '../../workflows/projects';
import type { Actor } from '../../workflows/actor';
import type { AuthContext } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeSortKey, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError, validationFailure } from '../problem';
import { managedRegistry } from '../registry';
import { ROLE_IDS, type ProjectCreateSchema, type ProjectDeleteQuery, type ProjectListQuery, type ProjectPatchSchema, type ProjectRegisterSchema } from '../schemas/projects';
import { mutate } from './mutation';

/** Defaults for a new project's Harbor security settings (the service design: scanning and signing on). */
export const DEFAULT_SETTINGS: ProjectSettings = { autoScan: true, contentTrustCosign: true, preventVulnerable: true, severity: 'high' };

/** The workflow input shared by onboarding and registration, from the request body. */
function registrationInput(body: z.infer<typeof ProjectRegisterSchema>, registry: string): ProjectRegistrationInput {
  return {
    registry,
    name: body.name,
    displayName: body.display_name,
    description: body.description ?? null,
    public: body.public,
    tenantId: body.tenantId,
    storageLimit: body.storage_limit ?? null,
    settings: { ...DEFAULT_SETTINGS, ...body.settings },
    members: body.members.map((m) => ({ group: m.group, roleId: ROLE_IDS[m.role] })),
  };
}

/** Search attributes of a project operation. */
const projectAttributes = (tenantId: string | undefined, name: string, kind: string) => [
  ...(tenantId ? [{ key: TenantName, value: tenantId }] : []),
  { key: ProjectName, value: name },
  { key: OperationKind, value: kind },
];

const validation = (field: string, message: string, code: string) =>
  new ProblemError(validationFailure([{ field, message, code }]));

/** Projects, for every transport: onboarding, registration, changes and deletion as workflows; reads from the catalogue. */
export function createProjectService(deps: { db: Db; mutations: MutationDeps; registries: string[]; secrets: SecretBox }) {
  const registryOf = (requested: string | undefined, field?: string) => managedRegistry(deps.registries, requested, field);

  return {
    async onboard(body: z.infer<typeof ProjectCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const registry = registryOf(body.registry, 'body.registry');
      const robot = body.robot === undefined || body.robot === false ? null : { name: (body.robot === true ? undefined : body.robot.name) ?? 'ci', durationDays: (body.robot === true ? undefined : body.robot.durationDays) ?? 90 };
      const robotTooLong = robot && robotFullNameTooLong(body.name, robot.name);
      if (robotTooLong) throw validation(typeof body.robot === 'object' && body.robot.name !== undefined ? 'body.robot.name' : 'body.robot', robotTooLong, 'too_big');
      const replications = (body.replications ?? []).map(({ registry: remoteRegistry, bandwidthKbps, ...rule }) => ({ ...rule, registry, project: body.name, remoteRegistry, speedKbps: bandwidthKbps }));
      const input: ProjectOnboardingInput = { ...registrationInput(body, registry), robot, ...(replications.length > 0 ? { replications, actor } : {}) };
      return mutate(
        deps.mutations,
        projectOnboardingWorkflow,
        { workflowId: projectWorkflowId(registry, body.name), args: [input], idempotencyKey, searchAttributes: projectAttributes(body.tenantId, body.name, 'project.onboard') },
        ({ project, robot: created }) => ({ ...project, ...(created ? { robot: { name: created.name, secret: deps.secrets.open(created.sealedSecret), expiresAt: created.expiresAt } } : {}) }),
      );
    },

    register(body: z.infer<typeof ProjectRegisterSchema>, idempotencyKey: string | undefined) {
      const registry = registryOf(body.registry, 'body.registry');
      return mutate(
        deps.mutations,
        projectRegistrationWorkflow,
        { workflowId: projectWorkflowId(registry, body.name), args: [registrationInput(body, registry)], idempotencyKey, searchAttributes: projectAttributes(body.tenantId, body.name, 'project.register') },
        (result) => ({ ...result.project, imported: result.imported }),
      );
    },

    update(ref: { name: string; registry: string | undefined }, body: z.infer<typeof ProjectPatchSchema>, idempotencyKey: string | undefined) {
      const registry = registryOf(ref.registry);
      const input: ProjectUpdateInput = {
        registry,
        name: ref.name,
        displayName: body.display_name,
        description: body.description,
        public: body.public,
        storageLimit: body.storage_limit,
        settings: body.settings,
        members: body.members?.map((m) => ({ group: m.group, roleId: ROLE_IDS[m.role] })),
      };
      return mutate(
        deps.mutations,
        projectUpdateWorkflow,
        { workflowId: projectWorkflowId(registry, ref.name), args: [input], idempotencyKey, searchAttributes: projectAttributes(undefined, ref.name, 'project.update') },
        (project) => project,
      );
    },

    remove(name: string, q: z.infer<typeof ProjectDeleteQuery>, actor: Actor, idempotencyKey: string | undefined) {
      const registry = registryOf(q.registry);
      return mutate(
        deps.mutations,
        projectDeleteWorkflow,
        {
          workflowId: projectWorkflowId(registry, name),
          args: [{ registry, name, purge: q.purge, force: q.force, actor }],
          idempotencyKey,
          searchAttributes: projectAttributes(undefined, name, q.purge ? 'project.purge' : 'project.archive'),
        },
        (project) => project,
      );
    },

    async list(auth: AuthContext, q: z.infer<typeof ProjectListQuery>) {
      // A filter by a registry this server does not manage is a mistake, not an empty page.
      if (q.registry !== undefined) registryOf(q.registry);
      const after = q.cursor === undefined ? undefined : decodeSortKey(q.cursor, { time: q.sort.endsWith('createdAt') });
      if (after === null) throw new ProblemError(invalidCursor());
      // Tenant isolation: only projects of tenants the caller may read; per-project rules (public/private) below.
      const readable = await auth.tenantsAllowed('projects.read');
      if (readable.length === 0) return { items: [], nextCursor: null };
      const page = await listProjects(deps.db, { ...q, tenants: readable, after });
      // The cursor follows the page as read, so a project hidden here never shifts the next page.
      const visible = await Promise.all(page.items.map((p) => auth.can('projects.read', { tenant: p.tenantId, accessType: p.public ? 'public' : 'private' })));
      return pageResponse({ ...page, items: page.items.filter((_, i) => visible[i]) });
    },

    async get(name: string, requested: string | undefined) {
      const registry = registryOf(requested);
      const project = await findProject(deps.db, registry, name);
      if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${name}" in ${registry}`));
      return project;
    },
  };
}
export type ProjectService = ReturnType<typeof createProjectService>;
