import { ApplicationFailure } from '@temporalio/common';
import { expect } from 'vitest';
import { startHarborEmulator, type HarborEmulator } from '../harbor-emulator';
import { startOciRegistry } from '../servers/oci-registry';
import { createHarborAdminClient, type HarborAdminClient } from './harbor-admin';

export interface HarborTestbed {
  emulator: HarborEmulator;
  client: HarborAdminClient;
  /** The OCI registry behind the emulator, to compare with what the emulator answers. */
  registryUrl: string;
  stop(): Promise<void>;
}

/** A real OCI registry and the Harbor emulator over it, in strict mode, with an admin client for it. */
export async function startHarbor(opts: { scanDelayMs?: number } = {}): Promise<HarborTestbed> {
  const registry = await startOciRegistry();
  const emulator = await startHarborEmulator({ registryUrl: registry.url, validate: 'throw', scanDelayMs: opts.scanDelayMs });
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

/** The failure a Harbor call was rejected with, which must be a Temporal ApplicationFailure. */
export async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  return err as ApplicationFailure;
}
