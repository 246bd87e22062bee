import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { NewKeycloakUser } from '../activities/keycloak/users';
import type { TenantRole, TenantUser } from '../lib/users';
import type { Actor } from './actor';
import { conflict, FailureType, isFailure, notFound } from '../lib/failure-types';
import { profiles } from './activity-options';
import { requireTenant } from './lookups';
import { Saga } from './saga';

const keycloak = proxyActivities<Activities>(profiles.keycloak);
const undo = proxyActivities<Activities>(profiles.compensation);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

async function requireUser(tenant: string, username: string): Promise<TenantUser> {
  const user = await keycloak.getKeycloakTenantUser(tenant, username);
  if (!user) throw notFound(`tenant "${tenant}" has no user "${username}"`);
  return user;
}

/** Audited and published as one change, with the same id: the audit row's key is the event's. */
async function recordChange(type: 'user.created' | 'user.removed', tenant: string, username: string, actor: Actor, data: Record<string, unknown>) {
  const event = { id: uuid4(), type: `modelregistry.${type}`, subject: `tenants/${tenant}/users/${username}`, time: new Date().toISOString(), data: { tenant, username, ...data } };
  // As project delete records it: the username as actor, the subject beside it (not in the event).
  await db.recordAudit({ eventKey: event.id, actor: actor.username, action: type, resource: event.subject, details: { ...data, actorSubject: actor.subject } });
  await events.publishEvent(event);
}

export interface UserCreateInput {
  tenant: string;
  user: NewKeycloakUser;
  role: TenantRole;
  actor: Actor;
}

/**
 * Creates a Keycloak account in the tenant's role group, with the required actions "set password"
 * and "verify email": no password is given, stored or returned. A username Keycloak knows is a
 * Conflict, whichever tenant (if any) it belongs to.
 */
export async function userCreateWorkflow(input: UserCreateInput): Promise<TenantUser> {
  await requireTenant(input.tenant);
  // Before the look: the compensation's bound on when Keycloak made the account, with the look's time to spare for clocks.
  const since = Date.now();
  if (await keycloak.keycloakUserExists(input.user.username)) {
    throw conflict(`a Keycloak user "${input.user.username}" exists`, { field: 'body.username' });
  }
  if (patched('user-create-compensated')) {
    // An account left outside the tenant could be neither removed through it nor created again.
    const saga = new Saga();
    // Only an account this run's call made goes: one someone else made after the look is theirs.
    let made = false;
    // Keycloak's refusal of the account (a taken email, its user profile naming a field) made nothing: the caller's answer as it is.
    const refused = (err: unknown) => isFailure(err, FailureType.Conflict) || isFailure(err, FailureType.ValidationFailed);
    try {
      await saga.step(
        'create-account',
        async () => void (made = await keycloak.createKeycloakUser(input.user)),
        async () => void (made && (await undo.deleteKeycloakUserCreatedSince(input.tenant, input.user.username, since))),
        { didNothing: refused },
      );
      await saga.step('add-to-tenant', () => keycloak.addKeycloakUserToTenant(input.tenant, input.user.username, input.role));
    } catch (err) {
      if (refused(err)) throw err;
      return saga.fail(err);
    }
  } else {
    await keycloak.createKeycloakUser(input.user);
    await keycloak.addKeycloakUserToTenant(input.tenant, input.user.username, input.role);
  }
  const user = await requireUser(input.tenant, input.user.username);
  await recordChange('user.created', input.tenant, user.username, input.actor, { role: input.role });
  return user;
}

export interface UserRemoveInput {
  tenant: string;
  username: string;
  actor: Actor;
}

export interface UserRemoval {
  username: string;
  /** The tenant's groups the user left. */
  removedFrom: string[];
  /** Whether the account was deleted: only when this service created it and nothing else holds it (no other group, no realm role of its own). */
  accountDeleted: boolean;
}

/** Takes the user out of every group of the tenant, and deletes the account if this service created it and nothing else holds it. */
export async function userRemoveWorkflow(input: UserRemoveInput): Promise<UserRemoval> {
  await requireTenant(input.tenant);
  await requireUser(input.tenant, input.username);
  const removedFrom = await keycloak.removeKeycloakUserFromTenant(input.tenant, input.username);
  // Only an account this service created goes (a run from before the patch replays its one call; the activity now keeps an account it is not told was created here).
  const accountDeleted = patched('delete-only-created-accounts')
    ? await keycloak.deleteKeycloakUserWithoutTenant(input.username, await db.userCreatedByServiceAt(input.username))
    : await keycloak.deleteKeycloakUserWithoutTenant(input.username);
  await recordChange('user.removed', input.tenant, input.username, input.actor, { removedFrom, accountDeleted });
  return { username: input.username, removedFrom, accountDeleted };
}

/** `GET /tenants/{tenant}/users`: a page of the tenant's users with their roles. */
export async function userListWorkflow(input: { tenant: string; limit: number; after?: string }): Promise<{ items: TenantUser[]; more: boolean }> {
  await requireTenant(input.tenant);
  return keycloak.listKeycloakTenantUsers(input.tenant, { limit: input.limit, after: input.after });
}

/** `GET /tenants/{tenant}/users/{username}`: one user with their tenant and project roles. */
export async function userReadWorkflow(input: { tenant: string; username: string }): Promise<TenantUser> {
  await requireTenant(input.tenant);
  return requireUser(input.tenant, input.username);
}
