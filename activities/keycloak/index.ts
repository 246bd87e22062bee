import KcAdminClient from '@keycloak/keycloak-admin-client';
import { ApplicationFailure } from '@temporalio/common';
import { PROJECT_ROLES, type ProjectMembers, type ProjectRole } from '../../lib/membership';

export interface KeycloakConfig {
  /** Keycloak's base URL, e.g. https://keycloak.example.com */
  url: string;
  realm: string;
  /** A confidential client whose service account may manage users and groups of the realm. */
  clientId: string;
  clientSecret: string;
}

type GroupRef = { id: string; name: string };

/**
 * Keycloak admin activities (groups per project role and their members) through the admin REST
 * API with the service account's client credentials. Each activity signs in afresh, so an expired
 * token is never reused across retries.
 */
export function createKeycloakActivities(deps: { keycloak?: KeycloakConfig }) {
  async function admin() {
    if (!deps.keycloak) throw ApplicationFailure.create({ type: 'NotConfigured', message: 'Keycloak is not configured (KEYCLOAK_URL, KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)', nonRetryable: true });
    const kc = new KcAdminClient({ baseUrl: deps.keycloak.url, realmName: deps.keycloak.realm });
    await kc.auth({ grantType: 'client_credentials', clientId: deps.keycloak.clientId, clientSecret: deps.keycloak.clientSecret });
    return kc;
  }

  async function child(kc: KcAdminClient, parent: GroupRef | null, name: string, create: boolean): Promise<GroupRef | null> {
    const found = parent
      ? await kc.groups.listSubGroups({ parentId: parent.id, search: name, max: 100, briefRepresentation: true })
      : await kc.groups.find({ search: name, exact: true, max: 100, briefRepresentation: true });
    const hit = found.find((g) => g.name === name);
    if (hit?.id) return { id: hit.id, name };
    if (!create) return null;
    const { id } = parent ? await kc.groups.createChildGroup({ id: parent.id }, { name }) : await kc.groups.create({ name });
    return { id, name };
  }

  /** The role groups of a project that exist (or all of them, created as needed). */
  async function roleGroups(kc: KcAdminClient, tenant: string, project: string, create: boolean): Promise<Partial<Record<ProjectRole, GroupRef>>> {
    let node: GroupRef | null = null;
    for (const name of ['tenants', tenant, 'projects', project]) {
      node = await child(kc, node, name, create);
      if (!node) return {};
    }
    const groups: Partial<Record<ProjectRole, GroupRef>> = {};
    for (const role of PROJECT_ROLES) {
      const group = await child(kc, node, role, create);
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
        throw ApplicationFailure.create({ type: 'ValidationFailed', message: `body.members: unknown Keycloak user(s): ${unknown.sort().join(', ')}`, nonRetryable: true });
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
