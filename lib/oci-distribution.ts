/**
 * The OCI distribution spec's vocabulary, as the virtual registries' pull endpoint speaks it (issue #16):
 * names, references, digests, error codes, and where the cache keeps what it pulled.
 */

/** A repository name (spec: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*`). */
export const REPOSITORY_NAME = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
/** One path component of a repository name: a tenant's virtual registry is one in every pull address. */
export const PATH_COMPONENT = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
/** A tag (spec: `[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}`). */
export const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}$/;
/** The digests this service verifies and stores: sha256 only (what every registry and client uses). */
export const SHA256_DIGEST = /^sha256:([a-f0-9]{64})$/;

/** What a manifest read accepts: OCI and Docker manifests and indexes. */
export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

export type OciErrorCode =
  | 'BLOB_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  /** Not the spec's: every upstream failed (unreachable, 5xx, refused our credential); distribution's own code for 5xx. */
  | 'UNAVAILABLE'
  /** Not the spec's table but distribution's: a tag list's `n` that is not a number. */
  | 'PAGINATION_NUMBER_INVALID'
  /** Not the spec's: distribution's code for an error it did not expect (a 500). */
  | 'UNKNOWN';

/** A spec error answer: its status and the `{"errors":[…]}` body. */
export interface OciError {
  status: number;
  code: OciErrorCode;
  message: string;
  detail?: Record<string, unknown>;
}

export const ociError = (status: number, code: OciErrorCode, message: string, detail?: Record<string, unknown>): OciError => ({ status, code, message, ...(detail ? { detail } : {}) });

export const ociErrorBody = (e: OciError) => ({ errors: [{ code: e.code, message: e.message, ...(e.detail ? { detail: e.detail } : {}) }] });

/** `Bearer realm="…",service="…",scope="…"` → its parameters; null for any other challenge. */
export function bearerChallenge(header: string | null): Record<string, string> | null {
  if (!header || !/^bearer /i.test(header)) return null;
  return Object.fromEntries([...header.slice(7).matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
}

/** A cache entry's `relative_path`: the OCI path below the upstream. */
export const blobPath = (name: string, digest: string) => `v2/${name}/blobs/${digest}`;
export const manifestPath = (name: string, reference: string) => `v2/${name}/manifests/${reference}`;

/** `cache_entries.status` (GitLab's virtual registry cache entry states). */
export const CACHE_ENTRY_STATUS = { default: 0, processing: 1, pendingDestruction: 2, error: 3 } as const;
