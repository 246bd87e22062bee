import { fetch, type Response } from 'undici';
import type { Db } from '../../db/client';
import { liveUpstreamWhere } from '../../db/queries/virtual-registries';
import { upstreams } from '../../db/schema';
import { notFound } from '../../lib/failure-types';
import { bearerChallenge } from '../../lib/oci-distribution';
import type { SecretBox } from '../../lib/secrets';
import type { TenantResourceRef, UpstreamCheck } from '../../lib/virtual-registries';

const TIMEOUT_MS = 8_000;

/**
 * Reaching an upstream's `/v2/` with its credential: HTTP Basic, and a token challenge answered once
 * (Docker's token flow) with the same credential. Every outcome is an answer, not a failure: the
 * check reports what it saw. The password is opened here only and never logged or returned.
 */
export function createUpstreamCheckActivities(deps: { db: Db; secrets: SecretBox }) {
  return {
    async checkUpstream(ref: TenantResourceRef): Promise<UpstreamCheck> {
      const [row] = await deps.db.select().from(upstreams).where(liveUpstreamWhere(ref.tenant, ref.name)).limit(1);
      if (!row) throw notFound(`no upstream "${ref.name}" in tenant ${ref.tenant}`);
      const basic = row.credentialKind === 'basic' && row.username && row.sealedSecret ? `Basic ${Buffer.from(`${row.username}:${deps.secrets.open(row.sealedSecret)}`).toString('base64')}` : undefined;
      const target = `${row.url.replace(/\/+$/, '')}/v2/`;
      const get = (url: string | URL, authorization?: string) => fetch(url, { headers: authorization ? { authorization } : {}, signal: AbortSignal.timeout(TIMEOUT_MS) });
      const started = performance.now();
      const elapsed = () => Math.round(performance.now() - started);
      let res: Response;
      try {
        res = await get(target, basic);
        const challenge = res.status === 401 ? bearerChallenge(res.headers.get('www-authenticate')) : null;
        if (challenge?.realm) {
          const tokenUrl = new URL(challenge.realm);
          if (challenge.service) tokenUrl.searchParams.set('service', challenge.service);
          const tokenRes = await get(tokenUrl, basic);
          const body = tokenRes.ok ? ((await tokenRes.json()) as { token?: string; access_token?: string }) : {};
          const token = body.token ?? body.access_token;
          if (token) res = await get(target, `Bearer ${token}`);
        }
        await res.arrayBuffer();
      } catch (err) {
        // The cause names what failed (ECONNREFUSED, a time-out, a port fetch refuses); never a credential.
        const cause = (err as { cause?: { code?: unknown; message?: unknown } }).cause;
        const why = typeof cause?.code === 'string' ? cause.code : typeof cause?.message === 'string' ? cause.message : err instanceof Error ? err.name : 'network error';
        return { reachable: false, authenticated: false, status: null, latencyMs: elapsed(), message: `${target} is not reachable (${why})` };
      }
      const latencyMs = elapsed();
      if (res.status === 401 || res.status === 403) {
        const message = basic ? `the upstream refused the credential of user "${row.username}" (${res.status})` : `the upstream asks for credentials (${res.status}); none are set`;
        return { reachable: true, authenticated: false, status: res.status, latencyMs, message };
      }
      if (!res.ok) return { reachable: true, authenticated: false, status: res.status, latencyMs, message: `${target} answered ${res.status}; not an OCI distribution API?` };
      return { reachable: true, authenticated: true, status: res.status, latencyMs, message: basic ? `authenticated as "${row.username}"` : 'reachable without credentials' };
    },
  };
}
