import type { Readable } from 'node:stream';
import type { FileRange } from '../lib/file-range';
import { ociError, ociErrorBody, type OciError, type OciErrorCode } from '../lib/oci-distribution';
import type { PullUpstream } from '../db/cache-entries';

/** An answer of the pull endpoint, for the API to send as it is: a body in memory, a stream, or a range of a cached file (its sender closes it). */
export interface PullResponse {
  status: number;
  headers: Record<string, string>;
  body?: Buffer | Readable | FileRange;
}

/** `X-Cache`: from the cache (valid, or re-checked unchanged), fetched now, or from the cache because every upstream failed. */
export type CacheOutcome = 'hit' | 'miss' | 'stale';

export const cacheHeaders = (outcome: CacheOutcome): Record<string, string> =>
  outcome === 'stale' ? { 'x-cache': 'stale', warning: '110 - "Response is Stale"' } : { 'x-cache': outcome };

export function errorResponse(e: OciError): PullResponse {
  const body = Buffer.from(JSON.stringify(ociErrorBody(e)));
  return { status: e.status, headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body };
}

/** Why an upstream could not answer: unreachable, a 5xx, or it refused our credential. */
export interface UpstreamFailure {
  upstream: string;
  status: number | null;
  reason: string;
}

export function failureOf(u: PullUpstream, status: number): UpstreamFailure {
  if (status === 401 || status === 403) {
    const reason = u.username ? `refused the credential of user "${u.username}" (${status}); check the upstream's credential` : `asks for credentials (${status}); the upstream has none`;
    return { upstream: u.name, status, reason };
  }
  return { upstream: u.name, status, reason: `answered ${status}` };
}

/**
 * Nobody had it: the spec's "unknown" when every upstream said 404; when some failed instead, 502
 * naming each upstream and why, since the thing may well exist behind the one that failed.
 */
export function notFoundOrFailed(code: OciErrorCode, what: string, failures: UpstreamFailure[]): PullResponse {
  if (failures.length === 0) return errorResponse(ociError(404, code, `${what} is not in any upstream`));
  const message = `${what}: no upstream answered (${failures.map((f) => `upstream "${f.upstream}" ${f.reason}`).join('; ')})`;
  return errorResponse(ociError(502, 'UNAVAILABLE', message, { upstreams: failures }));
}
