import { createHash } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from 'jose';
import * as oidc from 'openid-client';

export interface VerifierOptions {
  /** The token issuer (`iss`); its JWKS is found by OpenID discovery unless `jwksUrl` is given. */
  issuer: string;
  audience: string;
  jwksUrl?: string;
  algorithms: string[];
  clockToleranceSeconds: number;
  /** Least time between two JWKS fetches when an unknown key id shows up (key rotation). */
  jwksCooldownMs: number;
}

/** The token is not acceptable: 401. */
export class InvalidToken extends Error {}
/** The issuer's keys could not be fetched: 503, the token may well be fine. */
export class IssuerUnavailable extends Error {}

export interface TokenVerifier {
  verify(token: string): Promise<JWTPayload>;
}

/** Verified tokens remembered at most this long (and never past their `exp`), so a key the issuer withdraws stops working soon. */
const VERIFIED_TTL_MS = 5 * 60_000;
const MAX_VERIFIED = 10_000;
/** How long the issuer's discovery document or keys may take before the request is a 503 (issuer-unavailable). */
const ISSUER_TIMEOUT_MS = 5_000;

/**
 * Verifies bearer tokens against the issuer's JWKS. Keys are fetched lazily, cached by jose and
 * re-fetched when a token names a key id not seen yet, so the issuer can rotate keys. A token that
 * verified is remembered by its SHA-256 (never the token itself) until it expires, at most five
 * minutes: a client sends the same token for many requests, and the signature check is most of a
 * small read's CPU. Rejected tokens are never remembered.
 */
export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  let jwks: Promise<ReturnType<typeof createRemoteJWKSet>> | undefined;
  const keys = () =>
    (jwks ??= (async () => {
      let url = opts.jwksUrl;
      if (!url) {
        // As long as a key fetch may take: openid-client's default, 30 s, outlasts the request itself (api/unavailable.ts).
        const config = await oidc.discovery(new URL(opts.issuer), opts.audience, undefined, undefined, {
          execute: opts.issuer.startsWith('http:') ? [oidc.allowInsecureRequests] : [],
          timeout: ISSUER_TIMEOUT_MS / 1000,
        });
        url = config.serverMetadata().jwks_uri;
        if (!url) throw new Error(`issuer ${opts.issuer} publishes no jwks_uri`);
      }
      return createRemoteJWKSet(new URL(url), { cooldownDuration: opts.jwksCooldownMs, timeoutDuration: ISSUER_TIMEOUT_MS });
    })().catch((err: unknown) => {
      jwks = undefined; // discovery failed: try again on the next request
      throw err;
    }));

  const verified = new Map<string, { payload: JWTPayload; until: number }>();
  const remember = (key: string, payload: JWTPayload) => {
    const until = Math.min(Date.now() + VERIFIED_TTL_MS, (payload.exp ?? 0) * 1000);
    if (until <= Date.now()) return;
    if (verified.size >= MAX_VERIFIED) verified.delete(verified.keys().next().value!);
    verified.set(key, { payload, until });
  };

  return {
    async verify(token) {
      const key = createHash('sha256').update(token).digest('base64url');
      const hit = verified.get(key);
      if (hit && hit.until > Date.now()) return hit.payload;
      if (hit) verified.delete(key);
      let keySet;
      try {
        keySet = await keys();
      } catch (err) {
        throw new IssuerUnavailable(`cannot discover the issuer's keys: ${(err as Error).message}`);
      }
      try {
        const { payload } = await jwtVerify(token, keySet, {
          issuer: opts.issuer,
          audience: opts.audience,
          algorithms: opts.algorithms,
          clockTolerance: opts.clockToleranceSeconds,
          requiredClaims: ['exp', 'sub'],
        });
        remember(key, payload);
        return payload;
      } catch (err) {
        // jose raises its own errors for everything about the token; anything else is the key fetch failing.
        if (err instanceof errors.JWKSTimeout || !(err instanceof errors.JOSEError)) {
          throw new IssuerUnavailable(`cannot fetch the issuer's keys: ${(err as Error).message}`);
        }
        throw new InvalidToken(describe(err));
      }
    },
  };
}

/** A short reason for the client, never the token itself. */
function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'the token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return `claim "${err.claim}" is not acceptable: ${err.reason}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return 'the token is signed with an algorithm that is not allowed';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'the token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'the token is signed with an unknown key';
  if (err instanceof errors.JOSEError) return 'the token is malformed or not acceptable';
  return 'the token is malformed';
}
