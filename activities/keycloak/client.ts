import KcAdminClient, { NetworkError } from '@keycloak/keycloak-admin-client';
import { notConfigured } from '../../lib/failure-types';

export interface KeycloakConfig {
  /** Keycloak's base URL, e.g. https://keycloak.example.com */
  url: string;
  realm: string;
  /** A confidential client whose service account may manage users and groups of the realm. */
  clientId: string;
  clientSecret: string;
}

export type GroupRef = { id: string; name: string };

/** Largest page asked of Keycloak: its group and member lists are paged (10 or 100 by default). */
export const PAGE = 1000;

/**
 * A signed-in admin client. Each activity signs in afresh, so an expired token is never reused
 * across retries.
 */
export async function keycloakAdmin(config: KeycloakConfig | undefined): Promise<KcAdminClient> {
  if (!config) throw notConfigured('Keycloak is not configured (KEYCLOAK_URL, KEYCLOAK_CLIENT_ID, KEYCLOAK_CLIENT_SECRET)');
  const kc = new KcAdminClient({ baseUrl: config.url, realmName: config.realm });
  await kc.auth({ grantType: 'client_credentials', clientId: config.clientId, clientSecret: config.clientSecret });
  return kc;
}

/** The group `name` under `parent` (a top-level group when null), created when asked and absent. */
export async function childGroup(kc: KcAdminClient, parent: GroupRef | null, name: string, create: boolean): Promise<GroupRef | null> {
  const found = parent
    ? await kc.groups.listSubGroups({ parentId: parent.id, search: name, max: 100, briefRepresentation: true })
    : await kc.groups.find({ search: name, exact: true, max: 100, briefRepresentation: true });
  const hit = found.find((g) => g.name === name);
  if (hit?.id) return { id: hit.id, name };
  if (!create) return null;
  try {
    const { id } = parent ? await kc.groups.createChildGroup({ id: parent.id }, { name }) : await kc.groups.create({ name });
    return { id, name };
  } catch (err) {
    // Created meanwhile by a concurrent workflow (two users added to a new tenant role at once): that one is the group.
    if (!(err instanceof NetworkError && err.response.status === 409)) throw err;
    const created = await childGroup(kc, parent, name, false);
    if (!created) throw err;
    return created;
  }
}

/** The group at `names` (e.g. ['tenants', 'acme']), created level by level when asked. */
export async function groupAt(kc: KcAdminClient, names: string[], create: boolean): Promise<GroupRef | null> {
  let node: GroupRef | null = null;
  for (const name of names) {
    node = await childGroup(kc, node, name, create);
    if (!node) return null;
  }
  return node;
}
