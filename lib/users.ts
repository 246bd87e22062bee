import { PROJECT_ROLES, type ProjectRole } from './membership';

/**
 * Roles in a whole tenant are Keycloak groups `/tenants/<tenant>/<role>` (what the API's principal
 * reads from the token); the same five names as the project roles.
 */
export const TENANT_ROLES = PROJECT_ROLES;
export type TenantRole = ProjectRole;

export const tenantGroupPrefix = (tenant: string) => `/tenants/${tenant}/`;

/** A user of a tenant: in at least one group under `/tenants/<tenant>`. Never a credential. */
export interface TenantUser {
  username: string;
  email: string | null;
  firstName: string | null;
  lastName: string | null;
  enabled: boolean;
  emailVerified: boolean;
  /** What Keycloak asks of the user at the next sign-in, e.g. UPDATE_PASSWORD, VERIFY_EMAIL. */
  requiredActions: string[];
  /** Roles in the whole tenant. */
  roles: TenantRole[];
  /** Roles per project of the tenant (groups `/tenants/<tenant>/projects/<project>/<role>`). */
  projects: Record<string, ProjectRole[]>;
}

const isRole = (name: string): name is ProjectRole => (PROJECT_ROLES as readonly string[]).includes(name);

/** A user's tenant and project roles from the full paths of their groups; other tenants' groups are ignored. */
export function rolesFromGroupPaths(tenant: string, paths: string[]): Pick<TenantUser, 'roles' | 'projects'> {
  const roles = new Set<TenantRole>();
  const projects: Record<string, Set<ProjectRole>> = {};
  const prefix = tenantGroupPrefix(tenant);
  for (const path of paths) {
    if (!path.startsWith(prefix)) continue;
    const rest = path.slice(prefix.length).split('/');
    if (rest.length === 1 && isRole(rest[0]!)) roles.add(rest[0]);
    else if (rest.length === 3 && rest[0] === 'projects' && isRole(rest[2]!)) (projects[rest[1]!] ??= new Set()).add(rest[2]);
  }
  const order = (set: Set<ProjectRole>) => PROJECT_ROLES.filter((r) => set.has(r));
  return { roles: order(roles), projects: Object.fromEntries(Object.entries(projects).sort(([a], [b]) => a.localeCompare(b)).map(([p, set]) => [p, order(set)])) };
}
