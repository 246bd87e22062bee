import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import { createHarborClient, type HarborClient, type HarborClientOptions } from './client';

const InstanceConfig = z.object({
  /** The registry address users push to, e.g. `harbor.example.com`: the first part of a model's full name. */
  address: z.string().min(1),
  url: z.url(),
  username: z.string().min(1),
  password: z.string().min(1),
});
export type HarborInstanceConfig = z.infer<typeof InstanceConfig>;

/** The Harbor instances this service manages (the seed's multi-instance mode), keyed by registry address. */
export interface HarborInstances<C = HarborClient> {
  addresses(): string[];
  defaultAddress(): string;
  get(address?: string): C;
}

/** One client per instance; `client` builds another kind of client (the tests' admin client). */
export function createHarborInstances(configs: HarborInstanceConfig[], opts?: { timeoutMs?: number }): HarborInstances;
export function createHarborInstances<C>(configs: HarborInstanceConfig[], opts: { timeoutMs?: number; client: (o: HarborClientOptions) => C }): HarborInstances<C>;
export function createHarborInstances(configs: HarborInstanceConfig[], opts: { timeoutMs?: number; client?: (o: HarborClientOptions) => unknown } = {}): HarborInstances<unknown> {
  if (configs.length === 0) throw new Error('no Harbor instance configured');
  const client = opts.client ?? createHarborClient;
  const clients = new Map(configs.map((c) => [c.address, client({ baseUrl: c.url, username: c.username, password: c.password, timeoutMs: opts.timeoutMs })]));
  const first = configs[0]!.address;
  return {
    addresses: () => [...clients.keys()],
    defaultAddress: () => first,
    get(address = first) {
      const client = clients.get(address);
      if (!client) {
        throw ApplicationFailure.create({ message: `unknown registry "${address}"; known: ${[...clients.keys()].join(', ')}`, type: 'ValidationFailed', nonRetryable: true });
      }
      return client;
    },
  };
}

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
