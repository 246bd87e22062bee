/** Project roles: a Keycloak group per role, mapped to Harbor's project role ids. */
export const PROJECT_ROLES = ['admin', 'maintainer', 'developer', 'guest', 'limited-guest'] as const;
export type ProjectRole = (typeof PROJECT_ROLES)[number];

export const HARBOR_ROLE_IDS: Record<ProjectRole, number> = { admin: 1, developer: 2, guest: 3, maintainer: 4, 'limited-guest': 5 };

/**
 * The Keycloak group of a project role. Harbor sees OIDC groups by the names in the token's
 * `groups` claim, which carries full paths: the same string names the Harbor group member.
 */
export const projectGroupPath = (tenant: string, project: string, role: ProjectRole) => `/tenants/${tenant}/projects/${project}/${role}`;
export const projectGroupPrefix = (tenant: string, project: string) => `/tenants/${tenant}/projects/${project}/`;

export type ProjectMembers = Partial<Record<ProjectRole, string[]>>;

/** Who a change from `before` to `after` adds to and removes from each role, as `user → role`, role by role. */
export function membersChange(before: ProjectMembers, after: ProjectMembers): { added: string[]; removed: string[] } {
  const added: string[] = [];
  const removed: string[] = [];
  for (const role of PROJECT_ROLES) {
    const [was, is] = [new Set(before[role] ?? []), new Set(after[role] ?? [])];
    for (const user of is) if (!was.has(user)) added.push(`${user} → ${role}`);
    for (const user of was) if (!is.has(user)) removed.push(`${user} → ${role}`);
  }
  return { added, removed };
}

export interface MembershipChanges {
  added: { group: string; roleId: number }[];
  updated: { group: string; fromRoleId: number; toRoleId: number }[];
  removed: { group: string; roleId: number }[];
  /** Members the sync leaves alone: users, and groups outside the project's Keycloak groups. */
  unmanaged: string[];
}

/** A Harbor project member as the membership workflows saw it (`type` is Harbor's `u` or `g`). */
export interface ObservedHarborMember {
  name: string;
  type: string;
  roleId: number;
}

/** A project's membership as last observed by a membership workflow; `observedAt` null when none has run yet. */
export interface MembershipView {
  keycloak: ProjectMembers;
  harbor: ObservedHarborMember[];
  /** What a sync would change, as of `observedAt`. */
  drift: MembershipChanges;
  observedAt: string | null;
}
