import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';

/** A token request of the local issuer: a user, and the tenant role or global roles to hold. */
export const TokenRequestSchema = z
  .object({
    username: z.string().min(1).max(255),
    tenant: z.string().min(1).max(255).optional(),
    role: z.string().min(1).max(64).optional(),
    roles: z.array(z.string().min(1).max(64)).max(20).default([]),
    groups: z.array(z.string().min(1).max(255)).max(50).default([]),
    ttlSeconds: z.number().int().min(1).max(86_400).default(3600),
  })
  .strict()
  .refine((r) => (r.tenant === undefined) === (r.role === undefined), { message: 'tenant and role go together' });
export type TokenRequest = z.input<typeof TokenRequestSchema>;

export interface SignOptions {
  ttlSeconds?: number;
  audience?: string;
  issuer?: string;
  notBeforeSeconds?: number;
}

export interface LocalIssuer {
  /** The issuer URL (`iss`), also its discovery base. */
  issuer: string;
  audience: string;
  sign(claims: JWTPayload, opts?: SignOptions): Promise<string>;
  /** A token for a user with a tenant role (`/tenants/<tenant>/<role>` group) and/or global roles. */
  token(request: TokenRequest): Promise<string>;
  /** A new signing key; the old one stays in the JWKS so tokens already out keep working. */
  rotate(): Promise<void>;
  stop(): Promise<void>;
}

interface KeyRecord {
  kid: string;
  privateJwk: JWK;
  publicJwk: JWK;
}

const newKey = async (): Promise<KeyRecord> => {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = randomUUID();
  return { kid, privateJwk: { ...(await exportJWK(privateKey)), kid }, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' } };
};

/**
 * An OpenID issuer for the local stack and the tests, in place of Keycloak: discovery, JWKS and a
 * token endpoint that signs what it is asked for. It trusts every caller, so it only ever
 * listens on loopback and never runs in production.
 */
export async function startLocalIssuer(opts: { port?: number; audience?: string; keyFile?: string } = {}): Promise<LocalIssuer> {
  const audience = opts.audience ?? 'model-registry';
  let keys: KeyRecord[];
  if (opts.keyFile && existsSync(opts.keyFile)) keys = JSON.parse(readFileSync(opts.keyFile, 'utf8')) as KeyRecord[];
  else {
    keys = [await newKey()];
    if (opts.keyFile) writeFileSync(opts.keyFile, JSON.stringify(keys), { mode: 0o600 });
  }
  const app = new Hono();
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: opts.port ?? 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = async (claims: JWTPayload, o: SignOptions = {}) => {
    const key = keys[keys.length - 1]!;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(o.issuer ?? issuer)
      .setAudience(o.audience ?? audience)
      .setIssuedAt(now)
      .setNotBefore(now + (o.notBeforeSeconds ?? 0))
      .setExpirationTime(now + (o.ttlSeconds ?? 3600))
      .setJti(randomUUID())
      .sign(await importJWK(key.privateJwk, 'RS256'));
  };
  const token = async (request: TokenRequest) => {
    const r = TokenRequestSchema.parse(request);
    const groups = [...r.groups, ...(r.tenant ? [`/tenants/${r.tenant}/${r.role}`] : [])];
    return sign({ sub: `local:${r.username}`, preferred_username: r.username, groups, realm_access: { roles: r.roles } }, { ttlSeconds: r.ttlSeconds });
  };

  app.get('/.well-known/openid-configuration', (c) =>
    c.json({
      issuer,
      jwks_uri: `${issuer}/jwks`,
      token_endpoint: `${issuer}/token`,
      response_types_supported: ['token'],
      subject_types_supported: ['public'],
      id_token_signing_alg_values_supported: ['RS256'],
    }),
  );
  app.get('/jwks', (c) => c.json({ keys: keys.map((k) => k.publicJwk) }));
  app.post('/token', async (c) => {
    const parsed = TokenRequestSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'invalid_request', error_description: z.prettifyError(parsed.error) }, 400);
    const ttl = parsed.data.ttlSeconds;
    return c.json({ access_token: await token(parsed.data), token_type: 'Bearer', expires_in: ttl });
  });

  return {
    issuer,
    audience,
    sign,
    token,
    async rotate() {
      keys = [...keys, await newKey()];
      if (opts.keyFile) writeFileSync(opts.keyFile, JSON.stringify(keys), { mode: 0o600 });
    },
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
