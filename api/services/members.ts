import type { Db } from '../../db/client';
import { findMembership } from '../../db/queries/membership';
import { findLiveProject } from '../../db/queries/projects';
import type { ProjectMembers } from '../../lib/membership';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { OperationKind } from '../../lib/search-attributes';
import { membershipWorkflowId } from '../../lib/workflow-ids';
import { membershipSyncWorkflow, membershipUpdateWorkflow } from '../../workflows';
import { requireKeycloak } from '../keycloak-guard';
import type { MutationDeps } from '../operations';
import { problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import { mutate } from './mutation';
import { projectAttributes } from './project-attributes';
import type { ProjectRef } from './robots';

/** Project membership, for every transport: Keycloak holds who has which role, Harbor's members follow by a workflow. */
export function createMemberService(deps: { db: Db; mutations: MutationDeps; projects: ProjectLookup; registries: string[]; keycloak: boolean }) {
  const registryOf = (requested: string | undefined) => managedRegistry(deps.registries, requested);
  /** Both changes share one workflow id per project: a second waits its turn (409 while one runs). */
  const change = async <A>(ref: ProjectRef, kind: string, args: (registry: string) => A, idempotencyKey: string | undefined) => {
    requireKeycloak(deps.keycloak);
    const registry = registryOf(ref.registry);
    return {
      workflowId: membershipWorkflowId(registry, ref.project),
      args: [args(registry)] as [A],
      idempotencyKey,
      searchAttributes: await projectAttributes(deps.projects, registry, ref.project, [{ key: OperationKind, value: kind }]),
    };
  };

  return {
    /** As the last membership workflow observed it, from the catalogue. */
    async get(ref: ProjectRef) {
      requireKeycloak(deps.keycloak);
      const registry = registryOf(ref.registry);
      const project = await findLiveProject(deps.db, registry, ref.project);
      if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `project "${ref.project}" is not in the catalogue of ${registry}`));
      return findMembership(deps.db, project.id);
    },

    /** Sets the users of each role named (Keycloak groups), then syncs Harbor's members. */
    set: async (ref: ProjectRef, members: ProjectMembers, idempotencyKey: string | undefined) =>
      mutate(deps.mutations, membershipUpdateWorkflow, await change(ref, 'project.members.update', (registry) => ({ registry, project: ref.project, members }), idempotencyKey), (result) => result),

    /** Makes Harbor's members match the project's Keycloak groups now. */
    sync: async (ref: ProjectRef, idempotencyKey: string | undefined) =>
      mutate(deps.mutations, membershipSyncWorkflow, await change(ref, 'project.members.sync', (registry) => ({ registry, project: ref.project }), idempotencyKey), (changes) => changes),
  };
}
export type MemberService = ReturnType<typeof createMemberService>;
