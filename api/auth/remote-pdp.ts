import type { Logger } from '../../lib/logger';
import type { DecisionInput, PolicyDecisionPoint } from './pdp';

export interface RemotePdpOptions {
  /** Base URL of an OPA-compatible server, e.g. http://opa:8181. */
  url: string;
  /** Data API path of the decision, e.g. `modelregistry/allow` → POST /v1/data/modelregistry/allow. */
  path: string;
  timeoutMs: number;
  /** How long a decision is reused; short, so policy changes apply quickly. */
  cacheTtlMs: number;
  logger: Logger;
  fetch?: typeof fetch;
}

const MAX_CACHED = 10_000;

/**
 * A remote PDP speaking OPA's Data API (`POST /v1/data/<path>` with `{input}`, answer `{result}`
 * where result is `true` or `{allow: true}`). Any error, timeout or odd answer denies (fail closed).
 */
export function createRemotePdp(opts: RemotePdpOptions): PolicyDecisionPoint {
  const cache = new Map<string, { allow: boolean; until: number }>();
  const doFetch = opts.fetch ?? fetch;
  const endpoint = `${opts.url.replace(/\/+$/, '')}/v1/data/${opts.path.replace(/^\/+/, '')}`;

  async function ask(input: DecisionInput): Promise<boolean> {
    try {
      const res = await doFetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ input }),
        signal: AbortSignal.timeout(opts.timeoutMs),
      });
      if (!res.ok) throw new Error(`PDP answered ${res.status}`);
      const { result } = (await res.json()) as { result?: unknown };
      return result === true || (typeof result === 'object' && result !== null && (result as { allow?: unknown }).allow === true);
    } catch (err) {
      opts.logger.warn({ err: (err as Error).message, action: input.action }, 'PDP unavailable: denying');
      throw err;
    }
  }

  return {
    async decide(input) {
      const key = JSON.stringify(input);
      const hit = cache.get(key);
      if (hit && hit.until > Date.now()) return hit.allow;
      let allow: boolean;
      try {
        allow = await ask(input);
      } catch {
        return false; // not cached: the next request asks again
      }
      if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
      cache.set(key, { allow, until: Date.now() + opts.cacheTtlMs });
      return allow;
    },
  };
}
