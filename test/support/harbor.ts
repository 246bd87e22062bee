import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import { startHarborEmulator, type HarborEmulator, type HarborEmulatorOptions } from '../harbor-emulator';
import type { ReplicationOptions } from '../harbor-emulator/replication';
import { type OciRegistry, startOciRegistry } from '../servers/oci-registry';
import { createHarborAdminClient, type HarborAdminClient } from './harbor-admin';

export interface HarborTestbed {
  emulator: HarborEmulator;
  client: HarborAdminClient;
  /** The OCI registry behind the emulator, to compare with what the emulator answers. */
  registryUrl: string;
  stop(): Promise<void>;
}

/**
 * A real OCI registry and the Harbor emulator over it, in strict mode, with an admin client for it.
 * A second one is a remote Harbor to replicate with (an endpoint of type `harbor`, see `addEndpoint`).
 * Replication keeps Harbor's behaviour with a shorter blob back-off (100 ms, not 2 s); the job
 * service's retries of a failed task keep Harbor's waits (16 s, 31 s) unless `replication` says.
 * Pull times are written at the pull and GC keeps Harbor's 2-hour time window unless told
 * (`pullTimeFlushMs`, `gcTimeWindowHours`; the emulator's clock moves past the window).
 */
export async function startHarbor(
  opts: { scanDelayMs?: number; replication?: Partial<ReplicationOptions> } & Pick<HarborEmulatorOptions, 'pullTimeFlushMs' | 'gcTimeWindowHours' | 'anonymousWrites' | 'webhookRetryDelaysMs'> = {},
): Promise<HarborTestbed> {
  const registry = await startOciRegistry();
  const emulator = await startHarborEmulator({
    registryUrl: registry.url,
    validate: 'throw',
    scanDelayMs: opts.scanDelayMs,
    replication: { retryBackoffMs: 100, ...opts.replication },
    pullTimeFlushMs: opts.pullTimeFlushMs,
    gcTimeWindowHours: opts.gcTimeWindowHours,
    anonymousWrites: opts.anonymousWrites,
    webhookRetryDelaysMs: opts.webhookRetryDelaysMs,
  });
  const client = createHarborAdminClient({ baseUrl: emulator.url, username: emulator.username, password: emulator.password, timeoutMs: 5000 });
  return {
    emulator,
    client,
    registryUrl: registry.url,
    async stop() {
      await emulator.stop();
      await registry.stop();
    },
  };
}

/** A plain remote registry (Debian's docker-registry) that wants these Basic credentials: an endpoint of type `docker-registry`. */
export function startRemoteRegistry(auth: { username: string; password: string }): Promise<OciRegistry> {
  return startOciRegistry({ auth });
}

export interface RemoteEndpoint {
  url: string;
  type: 'harbor' | 'docker-registry';
  /** Basic credentials Harbor sends the remote; none: anonymous. */
  username?: string;
  password?: string;
}

/** Registers a remote (another emulator, or a registry) as an endpoint of `h`'s Harbor; its id. */
export function addEndpoint(h: HarborTestbed, name: string, remote: RemoteEndpoint): Promise<number> {
  return h.client.registries.create({
    name,
    type: remote.type,
    url: remote.url,
    insecure: true,
    ...(remote.username ? { credential: { type: 'basic', access_key: remote.username, access_secret: remote.password ?? '' } } : {}),
  });
}

/** The failure a Harbor call was rejected with, which must be a Temporal ApplicationFailure. */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
