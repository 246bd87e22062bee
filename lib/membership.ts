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
