import type { Context } from 'hono';
import type { Actor } from '../../workflows/actor';
import type { Action, Resource } from './actions';
import type { Principal } from './principal';

/** What a handler knows about the caller: who, and a way to ask for more decisions (list filtering). */
export interface AuthContext {
  principal: Principal;
  can(action: Action, resource: Omit<Resource, 'service'>): Promise<boolean>;
  /** Tenants in which the caller may do `action` (for lists: tenant isolation). */
  tenantsAllowed(action: Action): Promise<string[]>;
}

/** The Hono environment of every router: the auth middleware sets `auth` before any /api/v1 handler runs. */
export interface AppEnv {
  Variables: { auth?: AuthContext };
}

export function authOf(c: Context<AppEnv>): AuthContext {
  const auth = c.get('auth');
  if (!auth) throw new Error(`no auth context on ${c.req.method} ${c.req.path}: the route is missing from ROUTE_POLICIES`);
  return auth;
}

/** Who asks for a change, as workflows record it in the audit trail. */
export function actorOf(c: Context<AppEnv>): Actor {
  const { subject, username } = authOf(c).principal;
  return { subject, username };
}

/**
 * An Idempotency-Key as mutations record it: scoped to the caller (as payment APIs scope theirs to an
 * account), so another caller's same key is a request of its own, never a join of this caller's run,
 * whose answer may hold a secret (a robot's, a pull token).
 */
export const callerScopedKey = (subject: string, key: string | undefined) => (key === undefined ? undefined : JSON.stringify([subject, key]));

/** The request's Idempotency-Key (validated by the route's header schema), scoped to the caller. */
export function idempotencyKeyOf(c: Context<AppEnv>): string | undefined {
  return callerScopedKey(authOf(c).principal.subject, c.req.header('idempotency-key'));
}
