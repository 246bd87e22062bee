/** Upstreams and virtual registries (issue #16): the types the API, workflows and activities share. */

/** How an upstream is authenticated; a kind (not a flag) so that token kinds can be added later. */
export const CREDENTIAL_KINDS = ['none', 'basic'] as const;
export type CredentialKind = (typeof CREDENTIAL_KINDS)[number];

/** At most this many upstreams per virtual registry, at positions 1…MAX_UPSTREAMS. */
export const MAX_UPSTREAMS = 5;

export interface TenantResourceRef {
  tenant: string;
  name: string;
}

/** A basic credential as workflows carry it: the password only sealed (lib/secrets). */
export interface SealedUpstreamCredential {
  kind: 'basic';
  username: string;
  sealedSecret: string;
}

export interface UpstreamSpec extends TenantResourceRef {
  url: string;
  cacheValidityHours: number;
  description?: string;
  credential?: SealedUpstreamCredential;
}

export interface UpstreamPatch {
  url?: string;
  cacheValidityHours?: number;
  description?: string;
  /** A new credential, or null to remove it. */
  credential?: SealedUpstreamCredential | null;
}

export interface VirtualRegistrySpec extends TenantResourceRef {
  description?: string;
}

export interface VirtualRegistryPatch {
  description?: string;
}

/** One entry of a virtual registry's ordered list, as the caller names it. */
export interface UpstreamPosition {
  upstream: string;
  position: number;
}

/** What reaching an upstream's `/v2/` with its credential showed. */
export interface UpstreamCheck {
  reachable: boolean;
  /** False when the upstream refused the credential (or asks for one and none is set). */
  authenticated: boolean;
  /** The HTTP status of the last answer, or null when none came. */
  status: number | null;
  latencyMs: number;
  message: string;
}
