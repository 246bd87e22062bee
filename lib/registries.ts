/** Adapter types Harbor v2.15 accepts for a registry endpoint (`Registry.type`). */
export const REGISTRY_TYPES = [
  'harbor',
  'docker-registry',
  'docker-hub',
  'aws-ecr',
  'azure-acr',
  'ali-acr',
  'google-gcr',
  'huawei-SWR',
  'jfrog-artifactory',
  'quay',
  'gitlab',
  'github-ghcr',
  'tencent-tcr',
  'volcengine-cr',
  'dtr',
] as const;
export type RegistryType = (typeof REGISTRY_TYPES)[number];

/** A remote registry endpoint by name on one managed Harbor instance. */
export interface RemoteRegistryRef {
  /** The managed Harbor instance (registry address). */
  registry: string;
  name: string;
}

/** A credential as workflows carry it: the secret only sealed (lib/secrets). */
export interface SealedCredential {
  accessKey: string;
  sealedSecret: string;
}

export interface RemoteRegistrySpec extends RemoteRegistryRef {
  /** Owning tenant; absent: shared, visible to every tenant. */
  tenant?: string;
  type: RegistryType;
  url: string;
  insecure: boolean;
  description?: string;
  credential?: SealedCredential;
}

export interface RemoteRegistryPatch {
  url?: string;
  insecure?: boolean;
  description?: string;
}

export interface PingResult {
  reachable: boolean;
  /** Harbor's status of the ping, or the reason it failed. */
  status: string;
  latencyMs: number;
}
