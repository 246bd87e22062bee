import type { HarborInstanceConfig } from '../../lib/config';
import { createHarborClient, type HarborClient, type HarborClientOptions } from './client';
import { validationFailed } from '../../lib/failure-types';

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
        throw validationFailed(`unknown registry "${address}"; known: ${[...clients.keys()].join(', ')}`);
      }
      return client;
    },
  };
}
