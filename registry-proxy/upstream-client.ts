import type { Readable } from 'node:stream';
import { Agent, fetch, interceptors, request, type Response } from 'undici';
import { bearerChallenge } from '../lib/oci-distribution';
import type { Logger } from '../lib/logger';
import type { SecretBox } from '../lib/secrets';
import type { PullUpstream } from '../db/cache-entries';

/**
 * Headers within 10 s; a body may take as long as it needs while bytes keep coming (a multi-GB layer),
 * but 30 s without one is a dead upstream.
 */
const agent = new Agent({ connect: { timeout: 5_000 }, headersTimeout: 10_000, bodyTimeout: 30_000 });
/** The same for `request`, which follows no redirect by itself (a registry on S3 redirects blob GETs); credentials never cross origins. */
const following = agent.compose(interceptors.redirect({ maxRedirections: 5 }));
/** Tokens an upstream's token service issued, reused for a while (Docker's default lifetime is 60 s). */
const TOKEN_REUSE_MS = 50_000;

/** The upstream could not be asked: unreachable, timed out. The pull tries the next upstream. */
export class UpstreamUnreachable extends Error {}

/** A GET whose body is a Node stream: the caller reads it, or discards it (read and dropped, a large one cut). */
export interface StreamedAnswer {
  status: number;
  header(name: string): string | null;
  body: Readable;
  discard(): Promise<void>;
}

const headerOf = (headers: Record<string, string | string[] | undefined>, name: string) => {
  const value = headers[name];
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
};

/**
 * Requests to an upstream's `/v2/` API with its credential, as activities/oci/remote.ts reads remote
 * registries: HTTP Basic, and a Bearer token challenge answered with the same credential at the realm
 * it names. The password is opened per request, sent only to that upstream and its realm, and never
 * logged or put in an error.
 *
 * With `skipUnreachableMs`, an upstream that could not be reached is not asked again for that long
 * (as a repository manager blocks an unavailable remote): every request meanwhile fails at once as
 * unreachable, so pulls go on to the next upstream, or a stale entry, without each waiting for a
 * connection or a timeout first. An answer of any status is not a failure to reach it.
 */
export function createUpstreamClient(deps: { secrets: SecretBox; skipUnreachableMs?: number; logger?: Pick<Logger, 'warn'> }) {
  const tokens = new Map<string, { token: string; until: number }>();
  const unreachable = new Map<string, { since: number; until: number; code: string }>();

  // An upstream changed (PATCH) is another for both: its new URL is asked at once, its new credential gets tokens of its own.
  const where = (u: PullUpstream) => `${u.id} ${u.url}`;
  const basicOf = (u: PullUpstream) =>
    u.username && u.sealedSecret ? `Basic ${Buffer.from(`${u.username}:${deps.secrets.open(u.sealedSecret)}`).toString('base64')}` : undefined;

  async function tokenFor(u: PullUpstream, challenge: Record<string, string>, basic: string | undefined): Promise<string | undefined> {
    const key = `${where(u)} ${u.username ?? ''} ${u.sealedSecret ?? ''} ${challenge.realm} ${challenge.service ?? ''} ${challenge.scope ?? ''}`;
    const cached = tokens.get(key);
    if (cached && cached.until > Date.now()) return cached.token;
    const url = new URL(challenge.realm!);
    if (challenge.service) url.searchParams.set('service', challenge.service);
    if (challenge.scope) url.searchParams.set('scope', challenge.scope);
    const res = await fetch(url, { headers: basic ? { authorization: basic } : {}, dispatcher: agent });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (token) tokens.set(key, { token, until: Date.now() + TOKEN_REUSE_MS });
    return token;
  }

  /** Sends with the upstream's credential; a 401 with a Bearer challenge is answered once. */
  async function authorized<A extends { status: number; header(name: string): string | null; discard(): Promise<void> }>(
    u: PullUpstream,
    what: string,
    send: (authorization?: string) => Promise<A>,
  ): Promise<A> {
    const skipped = unreachable.get(where(u));
    if (skipped && skipped.until > Date.now()) {
      const [ago, left] = [skipped.since, skipped.until].map((t) => Math.ceil(Math.abs(Date.now() - t) / 1000));
      throw new UpstreamUnreachable(`upstream "${u.name}" (${what}): ${skipped.code} ${ago} s ago, not asked again for ${left} s`);
    }
    const basic = basicOf(u);
    try {
      let res = await send(basic);
      const challenge = res.status === 401 ? bearerChallenge(res.header('www-authenticate')) : null;
      if (challenge?.realm) {
        const token = await tokenFor(u, challenge, basic);
        if (token) {
          await res.discard();
          res = await send(`Bearer ${token}`);
        }
      }
      unreachable.delete(where(u));
      return res;
    } catch (err) {
      const { cause } = err as { cause?: { code?: unknown; message?: unknown } };
      const named = cause?.code ?? (err as { code?: unknown }).code;
      // A system error's code (ECONNREFUSED), else what fetch's cause says ("bad port"), not only "TypeError".
      const code = typeof named === 'string' ? named : typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.name : 'network error';
      if (deps.skipUnreachableMs) {
        unreachable.set(where(u), { since: Date.now(), until: Date.now() + deps.skipUnreachableMs, code });
        deps.logger?.warn({ upstream: u.name, code, skippedForMs: deps.skipUnreachableMs }, 'upstream not reachable: the next pulls skip it');
      }
      throw new UpstreamUnreachable(`upstream "${u.name}" (${what}): ${code}`);
    }
  }

  return {
    /** One request; 401 with a Bearer challenge is answered once. The answer's body is the caller's to read or cancel. */
    async request(u: PullUpstream, path: string, init: { method: 'GET' | 'HEAD'; accept?: string; signal?: AbortSignal }): Promise<Response> {
      const target = `${u.url.replace(/\/+$/, '')}${path}`;
      const answer = await authorized(u, `${init.method} ${target}`, async (authorization) => {
        const res = await fetch(target, { method: init.method, headers: { ...(init.accept ? { accept: init.accept } : {}), ...(authorization ? { authorization } : {}) }, dispatcher: agent, signal: init.signal });
        return { res, status: res.status, header: (name: string) => res.headers.get(name), discard: async () => void (await res.body?.cancel()) };
      });
      return answer.res;
    },

    /**
     * A GET whose body comes as a Node stream (undici's `request`), for blobs: no web stream and no
     * copy per chunk on the way to the client and the store. Redirects are followed.
     */
    async stream(u: PullUpstream, path: string): Promise<StreamedAnswer> {
      const target = `${u.url.replace(/\/+$/, '')}${path}`;
      const answer = await authorized(u, `GET ${target}`, async (authorization) => {
        const res = await request(target, { method: 'GET', headers: authorization ? { authorization } : {}, dispatcher: following });
        return { status: res.statusCode, header: (name: string) => headerOf(res.headers, name), body: res.body as Readable, discard: async () => void (await res.body.dump().catch(() => null)) };
      });
      return answer;
    },
  };
}
export type UpstreamClient = ReturnType<typeof createUpstreamClient>;
