import { NetworkError, type default as KcAdminClient } from '@keycloak/keycloak-admin-client';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation';
import { rolesFromGroupPaths, tenantGroupPrefix, type TenantRole, type TenantUser } from '../../lib/users';
import { childGroup, groupAt, keycloakAdmin, PAGE, type KeycloakConfig } from './client';
import { conflict, notFound, validationFailed } from '../../lib/failure-types';

/** What a new user is created with; never a password (Keycloak asks the user to set one). */
export interface NewKeycloakUser {
  username: string;
  email: string;
  firstName?: string;
  lastName?: string;
}

/** Keycloak asks a new user for these at the first sign-in. */
export const NEW_USER_REQUIRED_ACTIONS = ['UPDATE_PASSWORD', 'VERIFY_EMAIL'];

function toTenantUser(tenant: string, user: UserRepresentation, paths: string[]): TenantUser {
  return {
    username: user.username!,
    email: user.email ?? null,
    firstName: user.firstName ?? null,
    lastName: user.lastName ?? null,
    enabled: user.enabled ?? false,
    emailVerified: user.emailVerified ?? false,
    requiredActions: [...(user.requiredActions ?? [])].sort(),
    ...rolesFromGroupPaths(tenant, paths),
  };
}

/**
 * Users of a tenant in Keycloak: the users in any group under `/tenants/<tenant>` (its role groups
 * and its projects' role groups). Accounts are realm-wide, so one user may belong to several tenants.
 */
export function createKeycloakUserActivities(deps: { keycloak?: KeycloakConfig }) {
  const admin = () => keycloakAdmin(deps.keycloak);

  async function userNamed(kc: KcAdminClient, username: string): Promise<UserRepresentation | null> {
    const [user] = (await kc.users.find({ username, exact: true, max: 1, briefRepresentation: false })).filter((u) => u.username === username);
    return user ?? null;
  }
  const groupPaths = async (kc: KcAdminClient, id: string) => (await kc.users.listGroups({ id, max: PAGE, briefRepresentation: true })).map((g) => g.path!);

  /** Every group under `/tenants/<tenant>`, with its full path. */
  async function tenantGroups(kc: KcAdminClient, tenant: string): Promise<{ id: string; path: string }[]> {
    const root = await groupAt(kc, ['tenants', tenant], false);
    if (!root) return [];
    const found: { id: string; path: string }[] = [];
    const walk = async (id: string, path: string) => {
      for (const sub of await kc.groups.listSubGroups({ parentId: id, max: PAGE, briefRepresentation: true })) {
        const subPath = `${path}/${sub.name!}`;
        found.push({ id: sub.id!, path: subPath });
        await walk(sub.id!, subPath);
      }
    };
    await walk(root.id, `/tenants/${tenant}`);
    return found;
  }

  async function leaveTenant(kc: KcAdminClient, tenant: string, id: string): Promise<string[]> {
    const left: string[] = [];
    for (const group of await kc.users.listGroups({ id, max: PAGE, briefRepresentation: true })) {
      if (!group.path!.startsWith(tenantGroupPrefix(tenant))) continue;
      await kc.users.delFromGroup({ id, groupId: group.id! });
      left.push(group.path!);
    }
    return left.sort();
  }

  /**
   * Deletes the account unless something else holds it: any group left (another tenant's, or one
   * outside /tenants), a realm role of its own (platform-admin) or a client role (the service reads
   * its client's roles as held in every tenant) means it serves more than this tenant.
   */
  async function deleteUnheld(kc: KcAdminClient, id: string): Promise<boolean> {
    if ((await groupPaths(kc, id)).length > 0) return false;
    const roles = await kc.users.listRoleMappings({ id });
    if ((roles.realmMappings ?? []).some((r) => r.name !== `default-roles-${kc.realmName}`)) return false;
    if (Object.values(roles.clientMappings ?? {}).some((c) => (c as { mappings?: unknown[] }).mappings?.length)) return false;
    await kc.users.del({ id });
    return true;
  }

  async function tenantUser(kc: KcAdminClient, tenant: string, username: string): Promise<TenantUser | null> {
    const user = await userNamed(kc, username);
    if (!user?.id) return null;
    const paths = await groupPaths(kc, user.id);
    return paths.some((p) => p.startsWith(tenantGroupPrefix(tenant))) ? toTenantUser(tenant, user, paths) : null;
  }

  return {
    /** Whether a Keycloak account has this username (in any tenant or none). */
    async keycloakUserExists(username: string): Promise<boolean> {
      return (await userNamed(await admin(), username)) !== null;
    },

    /**
     * Creates the account with the required actions "set password" and "verify email"; whether this
     * call made it. A retry after the account was made finds it and goes on (false: it cannot tell
     * its own from one made meanwhile by someone else); an email another account has is a Conflict.
     */
    async createKeycloakUser(user: NewKeycloakUser): Promise<boolean> {
      const kc = await admin();
      if (await userNamed(kc, user.username)) return false;
      try {
        await kc.users.create({ ...user, enabled: true, emailVerified: false, requiredActions: NEW_USER_REQUIRED_ACTIONS });
        return true;
      } catch (err) {
        if (err instanceof NetworkError && err.response.status === 409) {
          // Keycloak says which ("User exists with same email"); the workflow found the username free just before.
          const email = /email/i.test(String((err.responseData as { errorMessage?: unknown } | undefined)?.errorMessage));
          throw email ? conflict(`a Keycloak account with the email "${user.email}" exists`, { field: 'body.email' }) : conflict(`a Keycloak account named "${user.username}" exists`, { field: 'body.username' });
        }
        if (err instanceof NetworkError && err.response.status === 400) throw refusedByUserProfile(err.responseData);
        throw err;
      }
    },

    /** Puts the user in the tenant's role group (created when absent). */
    async addKeycloakUserToTenant(tenant: string, username: string, role: TenantRole): Promise<void> {
      const kc = await admin();
      const user = await userNamed(kc, username);
      if (!user?.id) throw notFound(`no Keycloak user "${username}"`);
      const group = await groupAt(kc, ['tenants', tenant], true);
      const roleGroup = await childGroup(kc, group, role, true);
      await kc.users.addToGroup({ id: user.id, groupId: roleGroup!.id });
    },

    /** The user with their roles in the tenant, or null when the user is not one of the tenant's. */
    async getKeycloakTenantUser(tenant: string, username: string): Promise<TenantUser | null> {
      return tenantUser(await admin(), tenant, username);
    },

    /** A page of the tenant's users, by username, after `after`; `more` when another page follows. */
    async listKeycloakTenantUsers(tenant: string, page: { limit: number; after?: string }): Promise<{ items: TenantUser[]; more: boolean }> {
      const kc = await admin();
      const users = new Map<string, UserRepresentation>();
      const paths = new Map<string, string[]>();
      for (const group of await tenantGroups(kc, tenant)) {
        for (const member of await kc.groups.listMembers({ id: group.id, max: PAGE, briefRepresentation: false })) {
          users.set(member.username!, member);
          paths.set(member.username!, [...(paths.get(member.username!) ?? []), group.path]);
        }
      }
      const names = [...users.keys()].filter((name) => page.after === undefined || name > page.after).sort();
      return {
        items: names.slice(0, page.limit).map((name) => toTenantUser(tenant, users.get(name)!, paths.get(name)!)),
        more: names.length > page.limit,
      };
    },

    /** Takes the user out of every group under `/tenants/<tenant>`; the full paths it left. */
    async removeKeycloakUserFromTenant(tenant: string, username: string): Promise<string[]> {
      const kc = await admin();
      const user = await userNamed(kc, username);
      return user?.id ? leaveTenant(kc, tenant, user.id) : [];
    },

    /**
     * Deletes the account when no tenant's group holds it any more; whether it was (or already is)
     * gone. `createdByServiceAt`: when this service created an account of that name; one made
     * before or by nobody here is kept.
     */
    async deleteKeycloakUserWithoutTenant(username: string, createdByServiceAt?: string | null): Promise<boolean> {
      const kc = await admin();
      const user = await userNamed(kc, username);
      if (!user?.id) return true;
      // Not the account this service created (an identity provider's, the realm's own, or one made again since).
      if (!createdByServiceAt || (user.createdTimestamp ?? Infinity) > Date.parse(createdByServiceAt)) return false;
      return deleteUnheld(kc, user.id);
    },

    /**
     * A user create's compensation: the account goes only when Keycloak made it at or after
     * `sinceMs` (this run's, not one someone had before; a Keycloak clock behind the worker's keeps
     * it), out of the tenant's groups and then only when nothing else holds it. Whether it is gone.
     */
    async deleteKeycloakUserCreatedSince(tenant: string, username: string, sinceMs: number): Promise<boolean> {
      const kc = await admin();
      const user = await userNamed(kc, username);
      if (!user?.id) return true;
      if ((user.createdTimestamp ?? 0) < sinceMs) return false;
      await leaveTenant(kc, tenant, user.id);
      return deleteUnheld(kc, user.id);
    },
  };
}

/**
 * Keycloak's user profile refused a field (`{field, errorMessage}`, or `{errors: [...]}` for
 * several): the caller's 400 naming it. Only the field and Keycloak's message key are kept, never
 * the value.
 */
function refusedByUserProfile(body: unknown) {
  const one = (e: unknown) => {
    const { field, errorMessage } = (e ?? {}) as { field?: unknown; errorMessage?: unknown };
    return { field: `body.${typeof field === 'string' ? field : 'user'}`, message: `Keycloak refused it: ${typeof errorMessage === 'string' ? errorMessage : 'invalid'}`, code: 'invalid_value' };
  };
  const list = (body as { errors?: unknown[] } | undefined)?.errors;
  const errors = Array.isArray(list) ? list.map(one) : [one(body)];
  return validationFailed(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
}
