import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveRemoteRegistry, liveRemoteRegistryWhere, toRemoteRegistryRecord, type RemoteRegistryRecord } from '../../db/queries/registries';
import { remoteRegistries } from '../../db/schema';
import type { RemoteRegistryPatch, RemoteRegistryRef, RemoteRegistrySpec, SealedCredential } from '../../lib/registries';
import { conflict, notFound } from '../../lib/failure-types';
import { archivedByAnEarlierAttempt } from './earlier-attempt';

const UNIQUE_VIOLATION = '23505';
const missing = (ref: RemoteRegistryRef) => notFound(`no remote registry "${ref.name}" in ${ref.registry}`);

/** Remote registry rows, written by the registry workflows; the credential only sealed. */
export function createRemoteRegistryActivities({ db }: { db: Db }) {
  return {
    findRemoteRegistry(ref: RemoteRegistryRef): Promise<RemoteRegistryRecord | null> {
      return findLiveRemoteRegistry(db, ref.registry, ref.name);
    },

    /** Idempotent for the same Harbor endpoint: a retry that finds its own row returns it. */
    async saveRemoteRegistry(spec: RemoteRegistrySpec, harborRegistryId: number): Promise<RemoteRegistryRecord> {
      const [existing] = await db.select().from(remoteRegistries).where(liveRemoteRegistryWhere(spec.registry, spec.name));
      if (existing) {
        if (existing.harborRegistryId === harborRegistryId) return toRemoteRegistryRecord(existing);
        throw conflict(`a remote registry "${spec.name}" exists in ${spec.registry}`);
      }
      try {
        const [row] = await db
          .insert(remoteRegistries)
          .values({
            harborInstance: spec.registry,
            harborRegistryId,
            name: spec.name,
            tenantId: spec.tenant ?? null,
            type: spec.type,
            url: spec.url,
            insecure: spec.insecure,
            description: spec.description ?? null,
            accessKey: spec.credential?.accessKey ?? null,
            sealedSecret: spec.credential?.sealedSecret ?? null,
          })
          .returning();
        return toRemoteRegistryRecord(row!);
      } catch (err) {
        if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`a remote registry "${spec.name}" exists in ${spec.registry}`);
        throw err;
      }
    },

    async updateRemoteRegistry(ref: RemoteRegistryRef, patch: RemoteRegistryPatch & { credential?: SealedCredential }): Promise<RemoteRegistryRecord> {
      const { credential, ...fields } = patch;
      const set = { ...fields, ...(credential ? { accessKey: credential.accessKey, sealedSecret: credential.sealedSecret } : {}), updatedAt: sql`now()` };
      const [row] = await db.update(remoteRegistries).set(set).where(liveRemoteRegistryWhere(ref.registry, ref.name)).returning();
      if (!row) throw missing(ref);
      return toRemoteRegistryRecord(row);
    },

    async archiveRemoteRegistry(ref: RemoteRegistryRef): Promise<RemoteRegistryRecord> {
      const [row] = await db.update(remoteRegistries).set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` }).where(liveRemoteRegistryWhere(ref.registry, ref.name)).returning();
      if (row) return toRemoteRegistryRecord(row);
      const archived = await archivedByAnEarlierAttempt(db, remoteRegistries, and(eq(remoteRegistries.harborInstance, ref.registry), eq(remoteRegistries.name, ref.name)));
      if (!archived) throw missing(ref);
      return toRemoteRegistryRecord(archived);
    },
  };
}
