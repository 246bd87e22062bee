import type { PingResult, RemoteRegistryPatch, RemoteRegistrySpec, SealedCredential } from '../../lib/registries';
import type { SecretBox } from '../../lib/secrets';
import { applicationFailureIn, failedPrecondition } from '../../lib/failure-types';
import type { HarborRegistryUpdate } from './client';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';
import { createdDuringThisActivity, createOrAdopt, createdSince } from './provenance';

/** Harbor answers 412 when a replication policy still uses the endpoint. */
const isInUse = (err: unknown) => (applicationFailureIn(err)?.details?.[0] as { harborStatus?: number } | undefined)?.harborStatus === 412;

/**
 * Registry endpoints (remote registries) in Harbor. Credentials arrive sealed and are opened only
 * here, to hand them to Harbor; nothing returned carries them.
 */
export function createHarborRegistryActivities(deps: { harbor: HarborInstances; secrets: SecretBox }) {
  const harbor = (registry: string) => deps.harbor.get(registry);
  const credentialOf = (c: SealedCredential) => ({ type: 'basic', access_key: c.accessKey, access_secret: deps.secrets.open(c.sealedSecret) });

  return {
    /**
     * Creates the endpoint; its id. One of that name Harbor created while this activity ran is an
     * earlier attempt's whose answer was lost; an older one is someone else's, a conflict.
     */
    async createHarborRegistry(spec: RemoteRegistrySpec): Promise<number> {
      const client = harbor(spec.registry);
      return createOrAdopt(
        () =>
          client.registries.create({
            name: spec.name,
            type: spec.type,
            url: spec.url,
            insecure: spec.insecure,
            description: spec.description ?? '',
            ...(spec.credential ? { credential: credentialOf(spec.credential) } : {}),
          }),
        async () => {
          const existing = (await client.registries.list()).find((r) => r.name === spec.name);
          return existing?.id !== undefined && createdDuringThisActivity(existing.creation_time) ? existing.id : undefined;
        },
        `Harbor ${spec.registry} already has a registry endpoint "${spec.name}"`,
      );
    },

    async updateHarborRegistry(registry: string, id: number, patch: RemoteRegistryPatch & { credential?: SealedCredential }): Promise<void> {
      const { credential, ...fields } = patch;
      const body: HarborRegistryUpdate = { ...fields };
      if (credential) Object.assign(body, { credential_type: 'basic', access_key: credential.accessKey, access_secret: deps.secrets.open(credential.sealedSecret) });
      await harbor(registry).registries.update(id, body);
    },

    /** Already gone is fine; one a replication policy uses is the caller's to resolve (FailedPrecondition). */
    async deleteHarborRegistry(registry: string, id: number): Promise<void> {
      try {
        await harbor(registry).registries.delete(id);
      } catch (err) {
        if (isNotFound(err)) return;
        if (isInUse(err)) throw failedPrecondition(`registry endpoint ${id} is used by replication rules; delete them first`);
        throw err;
      }
    },

    /** A compensation: deletes the endpoint of this name only when Harbor created it since `createdSinceMs`. */
    async deleteHarborRegistryNamed(registry: string, name: string, createdSinceMs: number): Promise<void> {
      const existing = (await harbor(registry).registries.list()).find((r) => r.name === name);
      if (existing?.id === undefined || !createdSince(existing.creation_time, createdSinceMs)) return;
      await harbor(registry).registries.delete(existing.id);
    },

    /** Harbor pings the endpoint; an endpoint it cannot reach is an answer, not a failure. */
    async pingHarborRegistry(registry: string, id: number): Promise<PingResult> {
      const started = Date.now();
      try {
        await harbor(registry).registries.ping({ id });
        return { reachable: true, status: 'healthy', latencyMs: Date.now() - started };
      } catch (err) {
        const failure = applicationFailureIn(err);
        const status = (failure?.details?.[0] as { harborStatus?: number } | undefined)?.harborStatus;
        if (status !== 400) throw err;
        return { reachable: false, status: failure!.message, latencyMs: Date.now() - started };
      }
    },
  };
}
