import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { HarborMember } from '../activities/harbor/members';
import { HARBOR_ROLE_IDS, membersChange, projectGroupPath, projectGroupPrefix, type MembershipChanges, type ObservedHarborMember, type ProjectMembers, type ProjectRole } from '../lib/membership';
import { membershipWorkflowId } from '../lib/workflow-ids';
import { runUnderBusinessKey } from './business-key';
import { profiles } from './activity-options';
import { requireProject } from './lookups';

const keycloakApi = proxyActivities<Activities>(profiles.keycloak);
const harborApi = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

export interface MembershipInput {
  registry: string;
  project: string;
}

/** Harbor's group members of the project's prefix must be exactly the Keycloak role groups, with their roles. */
function plan(tenant: string, project: string, keycloak: ProjectMembers, harbor: HarborMember[]): MembershipChanges & { ids: Map<string, number> } {
  const desired = new Map((Object.keys(keycloak) as ProjectRole[]).map((role) => [projectGroupPath(tenant, project, role), HARBOR_ROLE_IDS[role]]));
  const prefix = projectGroupPrefix(tenant, project);
  const changes: MembershipChanges & { ids: Map<string, number> } = { added: [], updated: [], removed: [], unmanaged: [], ids: new Map() };
  const present = new Set<string>();
  for (const m of harbor) {
    if (m.type !== 'g' || !m.name.startsWith(prefix)) {
      changes.unmanaged.push(m.name);
      continue;
    }
    changes.ids.set(m.name, m.id);
    const roleId = desired.get(m.name);
    if (roleId === undefined || present.has(m.name)) changes.removed.push({ group: m.name, roleId: m.roleId });
    else if (roleId !== m.roleId) changes.updated.push({ group: m.name, fromRoleId: m.roleId, toRoleId: roleId });
    present.add(m.name);
  }
  for (const [group, roleId] of desired) if (!present.has(group)) changes.added.push({ group, roleId });
  return changes;
}

/** Harbor's members once the sync's changes are applied: computed, since every change just succeeded. */
function afterSync(harbor: HarborMember[], changes: MembershipChanges, ids: Map<string, number>): ObservedHarborMember[] {
  const removed = new Set(changes.removed.map((m) => ids.get(m.group)));
  const roles = new Map(changes.updated.map((m) => [m.group, m.toRoleId]));
  return [
    ...harbor.filter((m) => !removed.has(m.id)).map(({ name, type, roleId }) => ({ name, type, roleId: roles.get(name) ?? roleId })),
    ...changes.added.map((m) => ({ name: m.group, type: 'g', roleId: m.roleId })),
  ];
}

async function syncMembership(input: MembershipInput): Promise<MembershipChanges> {
  const project = await requireProject(input.registry, input.project);
  const keycloak = await keycloakApi.getKeycloakProjectMembers(project.tenantId, input.project);
  const harbor = await harborApi.listHarborMembers(input.registry, input.project);
  const { ids, ...changes } = plan(project.tenantId, input.project, keycloak, harbor);
  for (const m of changes.added) await harborApi.addHarborGroupMember(input.registry, input.project, m.group, m.roleId);
  for (const m of changes.updated) await harborApi.updateHarborMemberRole(input.registry, input.project, ids.get(m.group)!, m.toRoleId);
  for (const m of changes.removed) await harborApi.removeHarborMember(input.registry, input.project, ids.get(m.group)!);
  if (patched('membership-read-model')) {
    // What Harbor holds now that the changes went through; the sync leaves no drift but the unmanaged members.
    await db.saveMembershipView({ projectId: project.id, keycloak, harbor: afterSync(harbor, changes, ids), drift: { added: [], updated: [], removed: [], unmanaged: changes.unmanaged } });
  }
  if (changes.added.length + changes.updated.length + changes.removed.length > 0) {
    await events.publishEvent({
      id: uuid4(),
      type: 'modelregistry.membership.synced',
      subject: `projects/${input.registry}/${input.project}`,
      time: new Date().toISOString(),
      data: { registry: input.registry, project: input.project, tenant: project.tenantId, added: changes.added, updated: changes.updated, removed: changes.removed },
    });
  }
  return changes;
}

/**
 * Makes the Harbor project's OIDC group members match the project's Keycloak role groups
 * (`/tenants/<tenant>/projects/<project>/<role>`): adds missing groups, fixes roles, removes
 * groups of the project's prefix that Keycloak no longer has. Reports what it changed.
 */
export async function membershipSyncWorkflow(input: MembershipInput): Promise<MembershipChanges> {
  return syncMembership(input);
}

/** `PUT …/members`: sets the users of each role group in Keycloak, then syncs Harbor. */
export async function membershipUpdateWorkflow(input: MembershipInput & { members: ProjectMembers }): Promise<{ keycloak: { added: string[]; removed: string[] }; harbor: MembershipChanges }> {
  const project = await requireProject(input.registry, input.project);
  // What changes is told from the members before, not from what the set's attempt did: a retry of a
  // set that had applied everything (its answer lost) changes nothing itself.
  const before = patched('membership-change-from-before') ? await keycloakApi.getKeycloakProjectMembers(project.tenantId, input.project) : undefined;
  const applied = await keycloakApi.setKeycloakProjectMembers(project.tenantId, input.project, input.members);
  const keycloak = before ? membersChange(before, input.members) : applied;
  const harbor = await syncMembership(input);
  // Who holds a role is the change users see; Harbor's groups (`membership.synced`) seldom change with it.
  if (keycloak.added.length + keycloak.removed.length > 0 && patched('membership-update-event')) {
    await events.publishEvent({
      id: uuid4(),
      type: 'modelregistry.membership.updated',
      subject: `projects/${input.registry}/${input.project}`,
      time: new Date().toISOString(),
      data: { registry: input.registry, project: input.project, tenant: project.tenantId, added: keycloak.added, removed: keycloak.removed },
    });
  }
  return { keycloak, harbor };
}

/**
 * Run by the `membership-sync` Schedule: every managed project, one child each under the project's
 * membership key (one running, an API's sync or members change, is left to finish and counted as
 * `alreadyRunning`); a failure is reported, not fatal.
 */
export async function membershipSyncAllWorkflow(): Promise<{ synced: number; changed: string[]; alreadyRunning: string[]; failed: string[] }> {
  const managed = await db.listManagedProjects();
  const changed: string[] = [];
  const alreadyRunning: string[] = [];
  const failed: string[] = [];
  for (const p of managed) {
    try {
      const changes = await runUnderBusinessKey(membershipSyncWorkflow, membershipWorkflowId(p.registry, p.name), [{ registry: p.registry, project: p.name }]);
      if ('alreadyRunning' in changes) alreadyRunning.push(`${p.registry}/${p.name}`);
      else if (changes.added.length + changes.updated.length + changes.removed.length > 0) changed.push(`${p.registry}/${p.name}`);
    } catch {
      failed.push(`${p.registry}/${p.name}`);
    }
  }
  return { synced: managed.length - failed.length - alreadyRunning.length, changed, alreadyRunning, failed };
}
