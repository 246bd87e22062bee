import type { JWTPayload } from 'jose';

/** Who is calling, from the verified token's claims. */
export interface Principal {
  subject: string;
  username: string;
  /** Roles that hold in every tenant: Keycloak realm roles and this service's client roles. */
  roles: string[];
  /** Roles per tenant, from groups named `/tenants/<tenant>/<role>`. */
  tenantRoles: Record<string, string[]>;
  groups: string[];
}

const TENANT_GROUP = /^\/?tenants\/([^/]+)\/([^/]+)$/;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * Keycloak puts realm roles in `realm_access.roles` and client roles in `resource_access.<client>.roles`;
 * the group membership mapper gives `groups` (full paths). Only the client roles of this service's
 * audience count, so a role granted to another client cannot open this API.
 */
export function principalFromClaims(claims: JWTPayload, audience: string): Principal {
  const realm = strings((claims.realm_access as { roles?: unknown } | undefined)?.roles);
  const client = strings((claims.resource_access as Record<string, { roles?: unknown }> | undefined)?.[audience]?.roles);
  const groups = strings(claims.groups);
  const tenantRoles: Record<string, string[]> = {};
  for (const group of groups) {
    const m = TENANT_GROUP.exec(group);
    if (m) (tenantRoles[m[1]!] ??= []).push(m[2]!);
  }
  const username = typeof claims.preferred_username === 'string' ? claims.preferred_username : (claims.sub ?? 'unknown');
  return { subject: claims.sub ?? username, username, roles: [...new Set([...realm, ...client])], tenantRoles, groups };
}
