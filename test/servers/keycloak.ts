import { fileURLToPath } from 'node:url';
import { startKeycloakServer, type KeycloakServer } from '../../scripts/keycloak-server';
import { freePort } from './ports';

export const REALM_FILE = fileURLToPath(new URL('../keycloak/realm.json', import.meta.url));
export const REALM = 'model-registry';

/**
 * Keycloak in dev mode on a free loopback port with an in-memory database, so every start imports
 * test/keycloak/realm.json afresh. Ready once the realm's discovery document answers.
 */
export async function startKeycloak(): Promise<KeycloakServer> {
  const [port, managementPort] = [await freePort(), await freePort()];
  return startKeycloakServer({ port, managementPort, realm: REALM, importRealmFile: REALM_FILE, admin: { username: 'admin', password: 'admin' } });
}
