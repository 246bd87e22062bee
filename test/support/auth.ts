import type { HttpBindings } from '@hono/node-server';
import type { AuthDeps } from '../../api/auth/middleware';
import { createEmbeddedPdp } from '../../api/auth/pdp';
import { createTokenVerifier } from '../../api/auth/verifier';
import { generateKeyPair, SignJWT } from 'jose';
import { startLocalIssuer, type LocalIssuer, type TokenRequest } from '../../scripts/local-issuer';

export interface TestAuth {
  issuer: LocalIssuer;
  deps: AuthDeps;
  /** A token of a platform administrator: every action in every tenant. */
  adminToken: string;
  token(request: TokenRequest): Promise<string>;
  stop(): Promise<void>;
}

/** A local OpenID issuer over HTTP (discovery and JWKS as from Keycloak) and the embedded policy. */
export async function startTestAuth(): Promise<TestAuth> {
  const issuer = await startLocalIssuer();
  const deps: AuthDeps = {
    audience: issuer.audience,
    verifier: createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, algorithms: ['RS256'], clockToleranceSeconds: 30, jwksCooldownMs: 0 }),
    pdp: createEmbeddedPdp(),
  };
  const adminToken = await issuer.token({ username: 'test-admin', roles: ['platform-admin'], ttlSeconds: 86_400 });
  return { issuer, deps, adminToken, token: (r) => issuer.token(r), stop: () => issuer.stop() };
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A platform administrator's token naming the issuer's key id but signed with another key: a forged signature. */
export async function forgedToken(issuer: LocalIssuer): Promise<string> {
  const { privateKey } = await generateKeyPair('RS256');
  const good = await issuer.sign({ sub: 'x' });
  const kid = (JSON.parse(Buffer.from(good.split('.')[0]!, 'base64url').toString()) as { kid: string }).kid;
  return new SignJWT({ sub: 'x', realm_access: { roles: ['platform-admin'] } })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(issuer.issuer)
    .setAudience(issuer.audience)
    .setExpirationTime('1h')
    .sign(privateKey);
}

/** Requests of an app carrying `token` unless the request sets its own Authorization header. */
export function withToken<A extends { request: (input: string, init?: RequestInit) => Response | Promise<Response>; fetch: (req: Request, env?: HttpBindings) => Response | Promise<Response> }>(app: A, token: string) {
  return {
    raw: app,
    /** With `env` (a Node server's request and response), as @hono/node-server calls an app. */
    fetch: (req: Request, env?: HttpBindings) => app.fetch(req, env),
    request(input: string, init: RequestInit = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
      return Promise.resolve(app.request(input, { ...init, headers }));
    },
  };
}
export type TokenApp = ReturnType<typeof withToken>;
