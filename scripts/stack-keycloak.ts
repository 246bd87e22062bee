import { readFile } from 'node:fs/promises';
import type { KeycloakConfig } from '../activities/keycloak';
import { startKeycloakServer, type KeycloakServer } from './keycloak-server';

/** The stack's realm: the service's clients, the /tenants group layout and the demo users (keycloak/README.md). */
const REALM_FILE = new URL('../keycloak/stack-realm.json', import.meta.url);
export const STACK_REALM = 'model-registry';
export const STACK_ADMIN = { username: 'admin', password: 'admin' };
/** The public client of the realm with the password grant, for `npm run token`. */
export const STACK_CLI_CLIENT = 'model-registry-cli';
const ADMIN_CLIENT = 'model-registry-admin';

async function json<T>(res: Response, what: string): Promise<T> {
  if (!res.ok) throw new Error(`Keycloak ${what}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/**
 * The local stack's Keycloak: H2 under dataDir so users survive a restart; the realm is created
 * from keycloak/stack-realm.json only when absent (through the admin API, not the distribution's
 * shared import directory). The admin client's secret is whatever Keycloak generated for it.
 */
export async function startStackKeycloak(opts: { port: number; managementPort: number; dataDir: string; onSpawn?: (pid: number) => void }): Promise<KeycloakServer & { admin: KeycloakConfig; created: boolean }> {
  const server = await startKeycloakServer({ ...opts, realm: STACK_REALM, admin: STACK_ADMIN });
  try {
    const token = await json<{ access_token: string }>(
      await fetch(`${server.url}/realms/master/protocol/openid-connect/token`, {
        method: 'POST',
        body: new URLSearchParams({ grant_type: 'password', client_id: 'admin-cli', ...STACK_ADMIN }),
      }),
      'admin sign-in',
    );
    const headers = { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json' };
    const realmUrl = `${server.url}/admin/realms/${STACK_REALM}`;
    const exists = (await fetch(realmUrl, { headers })).ok;
    if (!exists) {
      const res = await fetch(`${server.url}/admin/realms`, { method: 'POST', headers, body: await readFile(REALM_FILE, 'utf8') });
      if (!res.ok) throw new Error(`Keycloak realm import: ${res.status} ${await res.text()}`);
    }
    const [client] = await json<{ id: string }[]>(await fetch(`${realmUrl}/clients?clientId=${ADMIN_CLIENT}`, { headers }), 'admin client');
    if (!client) throw new Error(`realm ${STACK_REALM} has no client ${ADMIN_CLIENT}`);
    const secret = await json<{ value: string }>(await fetch(`${realmUrl}/clients/${client.id}/client-secret`, { headers }), 'admin client secret');
    return { ...server, created: !exists, admin: { url: server.url, realm: STACK_REALM, clientId: ADMIN_CLIENT, clientSecret: secret.value } };
  } catch (err) {
    await server.stop();
    throw err;
  }
}
