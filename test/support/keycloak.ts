import { inject } from 'vitest';
import { createTokenVerifier } from '../../api/auth/verifier';
import { createEmbeddedPdp } from '../../api/auth/pdp';
import type { AuthDeps } from '../../api/auth/middleware';

/** Clients of test/keycloak/realm.json (test-only secrets). */
export const KEYCLOAK_CLIENTS = {
  cli: { clientId: 'model-registry-cli' },
  admin: { clientId: 'model-registry-admin', secret: 'test-admin-secret-not-for-production' },
  service: { clientId: 'model-registry-service', secret: 'test-service-secret-not-for-production' },
} as const;

async function tokenRequest(form: Record<string, string>): Promise<string> {
  const res = await fetch(`${inject('keycloakIssuer')}/protocol/openid-connect/token`, { method: 'POST', body: new URLSearchParams(form) });
  const body = (await res.json()) as { access_token?: string; error_description?: string };
  if (!res.ok || !body.access_token) throw new Error(`Keycloak token request failed (${res.status}): ${body.error_description ?? ''}`);
  return body.access_token;
}

/** A user's access token by the password grant of the CLI client. */
export const keycloakToken = (username: string, password = 'password') =>
  tokenRequest({ grant_type: 'password', client_id: KEYCLOAK_CLIENTS.cli.clientId, username, password });

/** A machine client's access token by the client-credentials grant. */
export const clientCredentialsToken = (clientId: string, secret: string) => tokenRequest({ grant_type: 'client_credentials', client_id: clientId, client_secret: secret });

/** The API's auth trusting the test Keycloak: discovery, JWKS, the embedded policy. */
export function keycloakAuth(): AuthDeps {
  const issuer = inject('keycloakIssuer');
  return {
    audience: 'model-registry',
    verifier: createTokenVerifier({ issuer, audience: 'model-registry', algorithms: ['RS256'], clockToleranceSeconds: 30, jwksCooldownMs: 5000 }),
    pdp: createEmbeddedPdp(),
  };
}

/** The test realm's admin API, signed in as the service's admin client (to set up and inspect users). */
export async function keycloakAdminClient() {
  const { default: KcAdminClient } = await import('@keycloak/keycloak-admin-client');
  const issuer = inject('keycloakIssuer');
  const kc = new KcAdminClient({ baseUrl: issuer.replace(/\/realms\/[^/]+$/, ''), realmName: issuer.split('/').at(-1)! });
  await kc.auth({ grantType: 'client_credentials', clientId: KEYCLOAK_CLIENTS.admin.clientId, clientSecret: KEYCLOAK_CLIENTS.admin.secret });
  return kc;
}
