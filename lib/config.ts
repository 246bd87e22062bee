import { z } from 'zod';
import { temporalConnectionFromEnv, type TemporalConnectionConfig } from './temporal-connection';

/** Process configuration, read once from the environment. Defaults suit the local stack. */
export interface Config {
  databaseUrl: string | undefined;
  /** The frontend's address and TLS / mTLS / API key (lib/temporal-connection.ts): what every Temporal connection is made with. */
  temporal: TemporalConnectionConfig;
  temporalNamespace: string;
  taskQueue: string;
  apiPort: number;
  apiHost: string;
  /** The gRPC API's port (HTTP/2 without TLS), on apiHost, in the API process. */
  grpcPort: number;
  /** How long a mutation waits for its workflow before answering 202. */
  mutationWaitMs: number;
  /** Largest request body accepted, in bytes. */
  bodyLimitBytes: number;
  /** Where Harbor delivers webhooks: this service's receiver, as Harbor can reach it. */
  webhookReceiverUrl: string;
  /** Base64 32-byte key sealing secrets at rest; the stack makes one in .data when unset. */
  secretsKey: string | undefined;
  kafkaBrokers: string[];
  kafkaTopic: string;
  /** Period of the catalogue-reconciliation Schedule. */
  reconcileEveryMinutes: number;
  /** Webhook deliveries handed to Temporal at once, after their 2xx. */
  webhookDispatchConcurrency: number;
  /** Period of the membership-sync Schedule. */
  membershipSyncEveryMinutes: number;
  /** The storage-reclaim Schedule of each Harbor instance (Harbor's GC, dry run first): its cron, and whether it runs (paused otherwise). */
  storageReclaim: { cron: string; enabled: boolean };
  /** How long a promotion waits for its version's approval unless the request says otherwise. */
  promotionApprovalTimeoutSeconds: number;
  /** The cache's maintenance Schedule: entries unused this many days expire; it runs every `everyHours`. */
  cacheMaintenance: { everyHours: number; unusedDays: number };
  /** Where the worker serves the Temporal SDK's Prometheus metrics; no endpoint when the port is unset. */
  workerMetrics: { host: string; port: number | undefined };
  /** Where virtual registries' cache keeps its files when `cacheStorage` is the filesystem. */
  cacheDir: string;
  /** The cache's storage (issue #16): the local filesystem under `cacheDir` (default), or an S3-compatible bucket. */
  cacheStorage: CacheStorageConfig;
  /** Keycloak's admin API (service account) for project membership; unset: membership operations fail clearly. */
  keycloak: { url: string; realm: string; clientId: string; clientSecret: string } | undefined;
  auth: {
    /** Token issuer (`iss`), e.g. https://keycloak.example.com/realms/model-registry; the stack runs a local one when unset. */
    issuer: string;
    audience: string;
    /** JWKS URL when the issuer offers no OpenID discovery. */
    jwksUrl: string | undefined;
    algorithms: string[];
    clockSkewSeconds: number;
    /** Remote PDP (OPA Data API); the embedded policy file decides when unset. */
    pbacUrl: string | undefined;
    pbacPath: string;
    pbacTimeoutMs: number;
    pbacCacheTtlMs: number;
    policyFile: string | undefined;
  };
}

function int(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a non-negative integer, got "${raw}"`);
  return n;
}

export function loadConfig(): Config {
  return {
    databaseUrl: process.env.DATABASE_URL || undefined,
    temporal: temporalConnectionFromEnv(),
    temporalNamespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
    taskQueue: process.env.TEMPORAL_TASK_QUEUE ?? 'model-registry',
    apiPort: int('API_PORT', 8080),
    apiHost: process.env.API_HOST ?? '127.0.0.1',
    grpcPort: int('GRPC_PORT', 9090),
    mutationWaitMs: int('MUTATION_WAIT_MS', 5000),
    bodyLimitBytes: int('BODY_LIMIT_BYTES', 1024 * 1024),
    webhookReceiverUrl: process.env.WEBHOOK_RECEIVER_URL ?? `http://127.0.0.1:${int('API_PORT', 8080)}/api/v1/webhooks/harbor`,
    secretsKey: process.env.SECRETS_KEY || undefined,
    kafkaBrokers: (process.env.KAFKA_BROKERS ?? '').split(',').map((b) => b.trim()).filter(Boolean),
    kafkaTopic: process.env.KAFKA_TOPIC ?? 'modelregistry.events',
    reconcileEveryMinutes: int('RECONCILE_INTERVAL_MINUTES', 60),
    membershipSyncEveryMinutes: int('MEMBERSHIP_SYNC_INTERVAL_MINUTES', 15),
    // Weekly, Sunday 03:00 UTC; created paused unless enabled, so an operator sees it before it deletes.
    cacheMaintenance: { everyHours: int('CACHE_MAINTENANCE_EVERY_HOURS', 24), unusedDays: int('CACHE_UNUSED_DAYS', 30) },
    storageReclaim: { cron: process.env.STORAGE_RECLAIM_CRON || '0 3 * * 0', enabled: process.env.STORAGE_RECLAIM_ENABLED === 'true' },
    promotionApprovalTimeoutSeconds: int('PROMOTION_APPROVAL_TIMEOUT_SECONDS', 7 * 24 * 3600),
    webhookDispatchConcurrency: int('WEBHOOK_DISPATCH_CONCURRENCY', 2),
    workerMetrics: { host: process.env.WORKER_METRICS_HOST ?? '127.0.0.1', port: process.env.WORKER_METRICS_PORT ? int('WORKER_METRICS_PORT', 0) : undefined },
    cacheDir: process.env.CACHE_DIR || '.data/cache',
    cacheStorage: cacheStorageFromEnv(),
    keycloak: process.env.KEYCLOAK_URL
      ? {
          url: process.env.KEYCLOAK_URL,
          realm: process.env.KEYCLOAK_REALM ?? 'model-registry',
          clientId: process.env.KEYCLOAK_CLIENT_ID ?? 'model-registry-admin',
          clientSecret: process.env.KEYCLOAK_CLIENT_SECRET ?? '',
        }
      : undefined,
    auth: {
      issuer: process.env.AUTH_ISSUER ?? '',
      audience: process.env.AUTH_AUDIENCE ?? 'model-registry',
      jwksUrl: process.env.AUTH_JWKS_URL || undefined,
      algorithms: (process.env.AUTH_ALGORITHMS ?? 'RS256,PS256,ES256,EdDSA').split(',').map((a) => a.trim()).filter(Boolean),
      clockSkewSeconds: int('AUTH_CLOCK_SKEW_SECONDS', 30),
      pbacUrl: process.env.PBAC_URL || undefined,
      pbacPath: process.env.PBAC_PATH ?? 'modelregistry/allow',
      pbacTimeoutMs: int('PBAC_TIMEOUT_MS', 2000),
      pbacCacheTtlMs: int('PBAC_CACHE_TTL_MS', 5000),
      policyFile: process.env.PBAC_POLICY_FILE || undefined,
    },
  };
}

/** An S3-compatible bucket for the cache. */
export interface S3StorageConfig {
  /** The server's URL; unset: AWS S3 itself. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Prepended to every key, so the bucket can hold other things too. */
  prefix?: string;
  /** Both or neither: without them the AWS SDK's default chain (AWS_* variables, an instance or pod role) applies. */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** `endpoint/bucket/key` addressing rather than `bucket.endpoint/key`: what most S3-compatible servers need. */
  forcePathStyle: boolean;
}

export type CacheStorageConfig = { kind: 'fs' } | { kind: 's3'; s3: S3StorageConfig };

/**
 * From `CACHE_STORAGE` (`fs`, the default, or `s3`) and, for s3, the `CACHE_S3_*` variables. A bad
 * value fails start-up with an error naming the variable (never echoing a secret's value).
 */
export function cacheStorageFromEnv(env: NodeJS.ProcessEnv = process.env): CacheStorageConfig {
  const kind = env.CACHE_STORAGE || 'fs';
  if (kind === 'fs') return { kind };
  if (kind !== 's3') throw new Error(`CACHE_STORAGE must be fs or s3, got "${kind}"`);
  const bucket = env.CACHE_S3_BUCKET;
  if (!bucket) throw new Error('CACHE_S3_BUCKET is required when CACHE_STORAGE=s3');
  // S3's bucket naming rules: what a typo (a URL, an uppercase name) would otherwise only show as a 400 on first pull.
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`CACHE_S3_BUCKET must be an S3 bucket name (3–63 lowercase letters, digits, dots, hyphens), got "${bucket}"`);
  const endpoint = env.CACHE_S3_ENDPOINT || undefined;
  if (endpoint && !/^https?:\/\/[^/]/.test(endpoint)) throw new Error(`CACHE_S3_ENDPOINT must be an http(s) URL, got "${endpoint}"`);
  const accessKeyId = env.CACHE_S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.CACHE_S3_SECRET_ACCESS_KEY || undefined;
  if (!!accessKeyId !== !!secretAccessKey) throw new Error('CACHE_S3_ACCESS_KEY_ID and CACHE_S3_SECRET_ACCESS_KEY go together: set both, or neither for the AWS SDK\'s default credentials');
  const prefix = env.CACHE_S3_PREFIX || undefined;
  if (prefix?.startsWith('/')) throw new Error(`CACHE_S3_PREFIX must not start with "/", got "${prefix}"`);
  const pathStyle = env.CACHE_S3_FORCE_PATH_STYLE || undefined;
  if (pathStyle !== undefined && pathStyle !== 'true' && pathStyle !== 'false') throw new Error(`CACHE_S3_FORCE_PATH_STYLE must be true or false, got "${pathStyle}"`);
  return {
    kind,
    s3: {
      endpoint,
      region: env.CACHE_S3_REGION || 'us-east-1',
      bucket,
      prefix,
      accessKeyId,
      secretAccessKey,
      // S3-compatible servers rarely have wildcard DNS for virtual-hosted buckets; AWS itself prefers it.
      forcePathStyle: pathStyle === undefined ? endpoint !== undefined : pathStyle === 'true',
    },
  };
}

/** One Harbor instance the service manages. */
const InstanceConfig = z.object({
  /** The registry address users push to, e.g. `harbor.example.com`: the first part of a model's full name. */
  address: z.string().min(1),
  url: z.url(),
  username: z.string().min(1),
  password: z.string().min(1),
});
export type HarborInstanceConfig = z.infer<typeof InstanceConfig>;

/**
 * From `HARBOR_INSTANCES` (a JSON array of {address, url, username, password}) or the single
 * `HARBOR_URL` / `HARBOR_USERNAME` / `HARBOR_PASSWORD` / `HARBOR_REGISTRY_ADDRESS`. Undefined when none is set.
 */
export function harborConfigFromEnv(env: NodeJS.ProcessEnv = process.env): HarborInstanceConfig[] | undefined {
  if (env.HARBOR_INSTANCES) {
    const parsed = z.array(InstanceConfig).min(1).safeParse(JSON.parse(env.HARBOR_INSTANCES));
    if (!parsed.success) throw new Error(`HARBOR_INSTANCES is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return parsed.data;
  }
  if (!env.HARBOR_URL) return undefined;
  return [
    InstanceConfig.parse({
      address: env.HARBOR_REGISTRY_ADDRESS ?? new URL(env.HARBOR_URL).host,
      url: env.HARBOR_URL,
      username: env.HARBOR_USERNAME ?? 'admin',
      password: env.HARBOR_PASSWORD,
    }),
  ];
}
