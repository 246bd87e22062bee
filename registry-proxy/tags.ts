import type { PullTarget } from '../db/cache-entries';
import { ociError } from '../lib/oci-distribution';
import { errorResponse, failureOf, notFoundOrFailed, type PullResponse, type UpstreamFailure } from './answers';
import { UpstreamUnreachable, type UpstreamClient } from './upstream-client';

/** Pages read from an upstream at most, so a huge repository cannot hold a request for ever. */
const MAX_PAGES = 100;

/**
 * A repository's tags, from the first upstream that has the repository (not cached: a tag list is
 * only as good as its upstream's current answer), paginated here as the spec says: sorted, `n` at
 * most, after `last`, and a `Link` header to the next page.
 */
export function createTagLists(deps: { upstreams: UpstreamClient }) {
  return {
    async list(target: PullTarget, name: string, q: { n?: number; last?: string; self: string }): Promise<PullResponse> {
      const failures: UpstreamFailure[] = [];
      for (const u of target.upstreams) {
        try {
          const tags: string[] = [];
          let next: string | null = `/v2/${name}/tags/list?n=1000`;
          let absent = false;
          let failed: UpstreamFailure | null = null;
          for (let page = 0; next && page < MAX_PAGES; page++) {
            const res = await deps.upstreams.request(u, next, { method: 'GET' });
            if (res.status === 404) {
              await res.body?.cancel();
              absent = true;
              break;
            }
            if (res.status !== 200) {
              await res.body?.cancel();
              failed = failureOf(u, res.status);
              break;
            }
            tags.push(...(((await res.json()) as { tags?: string[] | null }).tags ?? []));
            const link = /<([^>]+)>;\s*rel="next"/.exec(res.headers.get('link') ?? '');
            next = link ? link[1]!.replace(/^https?:\/\/[^/]+/, '') : null;
          }
          if (absent) continue;
          if (failed) {
            failures.push(failed);
            continue;
          }
          const sorted = [...new Set(tags)].sort();
          const after = q.last === undefined ? sorted : sorted.filter((t) => t > q.last!);
          const pageOf = q.n === undefined ? after : after.slice(0, q.n);
          const headers: Record<string, string> = { 'content-type': 'application/json' };
          if (q.n !== undefined && after.length > q.n && pageOf.length > 0) headers.link = `<${q.self}?n=${q.n}&last=${encodeURIComponent(pageOf.at(-1)!)}>; rel="next"`;
          const body = Buffer.from(JSON.stringify({ name, tags: pageOf }));
          return { status: 200, headers: { ...headers, 'content-length': String(body.length) }, body };
        } catch (err) {
          if (!(err instanceof UpstreamUnreachable)) throw err;
          failures.push({ upstream: u.name, status: null, reason: 'is not reachable' });
        }
      }
      if (target.upstreams.length === 0) return errorResponse(ociError(404, 'NAME_UNKNOWN', 'the virtual registry has no upstreams'));
      return notFoundOrFailed('NAME_UNKNOWN', `repository ${name}`, failures);
    },
  };
}
