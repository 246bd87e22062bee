import type KcAdminClient from '@keycloak/keycloak-admin-client';
import { PROJECT_ROLES, type ProjectMembers, type ProjectRole } from '../../lib/membership';
import { childGroup, groupAt, keycloakAdmin, type GroupRef, type KeycloakConfig } from './client';
import { validationFailed } from '../../lib/failure-types';

export type { KeycloakConfig } from './client';

/**
 * Keycloak admin activities (groups per project role and their members) through the admin REST
 * API with the service account's client credentials.
 */
export function createKeycloakActivities(deps: { keycloak?: KeycloakConfig }) {
  const admin = () => keycloakAdmin(deps.keycloak);

  /** The role groups of a project that exist (or all of them, created as needed). */
  async function roleGroups(kc: KcAdminClient, tenant: string, project: string, create: boolean): Promise<Partial<Record<ProjectRole, GroupRef>>> {
    const node = await groupAt(kc, ['tenants', tenant, 'projects', project], create);
    if (!node) return {};
    const groups: Partial<Record<ProjectRole, GroupRef>> = {};
    for (const role of PROJECT_ROLES) {
      const group = await childGroup(kc, node, role, create);
      if (group) groups[role] = group;
    }
    return groups;
  }

  const usernamesOf = async (kc: KcAdminClient, group: GroupRef) =>
    (await kc.groups.listMembers({ id: group.id, max: 1000, briefRepresentation: true })).map((u) => u.username!).sort();

  return {
    /** Users per role of the project's groups; roles without a group are absent. */
    async getKeycloakProjectMembers(tenant: string, project: string): Promise<ProjectMembers> {
      const kc = await admin();
      const members: ProjectMembers = {};
      for (const [role, group] of Object.entries(await roleGroups(kc, tenant, project, false))) members[role as ProjectRole] = await usernamesOf(kc, group);
      return members;
    },

    /**
     * Makes the project's role groups hold exactly these users (a role left out: nobody). Every
     * username is checked before anything changes, so an unknown one changes nothing.
     */
    async setKeycloakProjectMembers(tenant: string, project: string, members: ProjectMembers): Promise<{ added: string[]; removed: string[] }> {
      const kc = await admin();
      const wanted = new Set(Object.values(members).flat());
      const ids = new Map<string, string>();
      const unknown: string[] = [];
      for (const username of wanted) {
        const [user] = (await kc.users.find({ username, exact: true, max: 1 })).filter((u) => u.username === username);
        if (user?.id) ids.set(username, user.id);
        else unknown.push(username);
      }
      if (unknown.length > 0) {
        // Each place an unknown user is named, as a field (body.members.developer.0), so gRPC names it too.
        const errors = Object.entries(members).flatMap(([role, usernames]) =>
          (usernames ?? []).flatMap((username, i) => (ids.has(username) ? [] : [{ field: `body.members.${role}.${i}`, message: `unknown Keycloak user "${username}"`, code: 'invalid_value' }])),
        );
        throw validationFailed(`body.members: unknown Keycloak user(s): ${unknown.sort().join(', ')}`, { errors });
      }
      const groups = await roleGroups(kc, tenant, project, true);
      const added: string[] = [];
      const removed: string[] = [];
      for (const role of PROJECT_ROLES) {
        const group = groups[role]!;
        const current = new Map((await kc.groups.listMembers({ id: group.id, max: 1000, briefRepresentation: true })).map((u) => [u.username!, u.id!]));
        const target = new Set(members[role] ?? []);
        for (const username of target) {
          if (current.has(username)) continue;
          await kc.users.addToGroup({ id: ids.get(username)!, groupId: group.id });
          added.push(`${username} → ${role}`);
        }
        for (const [username, id] of current) {
          if (target.has(username)) continue;
          await kc.users.delFromGroup({ id, groupId: group.id });
          removed.push(`${username} → ${role}`);
        }
      }
      return { added, removed };
    },
  };
}
