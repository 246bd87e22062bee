import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import {
  findLiveUpstream,
  findLiveVirtualRegistry,
  liveUpstreamWhere,
  liveVirtualRegistryWhere,
  toUpstreamRecord,
  virtualRegistriesUsing,
  withUpstreams,
  type UpstreamRecord,
  type VirtualRegistryRecord,
} from '../../db/queries/virtual-registries';
import { auditEvents, upstreams, virtualRegistries, virtualRegistryUpstreams } from '../../db/schema';
import { conflict, failedPrecondition, notFound, validationFailed } from '../../lib/failure-types';
import type { TenantResourceRef, UpstreamPatch, UpstreamPosition, UpstreamSpec, VirtualRegistryPatch, VirtualRegistrySpec } from '../../lib/virtual-registries';
import { archivedByAnEarlierAttempt, thisActivityKey } from './earlier-attempt';

const UNIQUE_VIOLATION = '23505';
const noUpstream = (ref: TenantResourceRef) => notFound(`no upstream "${ref.name}" in tenant ${ref.tenant}`);
const noRegistry = (ref: TenantResourceRef) => notFound(`no virtual registry "${ref.name}" in tenant ${ref.tenant}`);
const credentialColumns = (credential: UpstreamSpec['credential'] | null) =>
  credential ? { credentialKind: credential.kind, username: credential.username, sealedSecret: credential.sealedSecret } : { credentialKind: 'none', username: null, sealedSecret: null };

/**
 * Upstream and virtual registry rows, written by their workflows. A create takes the id the workflow
 * chose, so a retry whose answer was lost finds its own row instead of a conflict.
 */
export function createVirtualRegistryActivities({ db }: { db: Db }) {
  async function insertOnce<T>(insert: () => Promise<T>, mine: () => Promise<T | null>, what: string): Promise<T> {
    const own = await mine();
    if (own) return own;
    try {
      return await insert();
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`${what} exists`);
      throw err;
    }
  }

  return {
    findUpstream(ref: TenantResourceRef): Promise<UpstreamRecord | null> {
      return findLiveUpstream(db, ref.tenant, ref.name);
    },

    saveUpstream(id: string, spec: UpstreamSpec): Promise<UpstreamRecord> {
      return insertOnce(
        async () => {
          const [row] = await db
            .insert(upstreams)
            .values({ id, tenantId: spec.tenant, name: spec.name, description: spec.description ?? null, url: spec.url, cacheValidityHours: spec.cacheValidityHours, ...credentialColumns(spec.credential) })
            .returning();
          return toUpstreamRecord(row!);
        },
        async () => {
          const [row] = await db.select().from(upstreams).where(eq(upstreams.id, id));
          return row ? toUpstreamRecord(row) : null;
        },
        `an upstream "${spec.name}" in tenant ${spec.tenant}`,
      );
    },

    async updateUpstream(ref: TenantResourceRef, patch: UpstreamPatch): Promise<UpstreamRecord> {
      const { credential, ...fields } = patch;
      const set = { ...fields, ...(credential === undefined ? {} : credentialColumns(credential)), updatedAt: sql`now()` };
      const [row] = await db.update(upstreams).set(set).where(liveUpstreamWhere(ref.tenant, ref.name)).returning();
      if (!row) throw noUpstream(ref);
      return toUpstreamRecord(row);
    },

    /**
     * Archives an upstream in one transaction with the check of who uses it: refused (409 naming the
     * virtual registries) unless `force`, which takes it out of their lists (the others keep their positions).
     */
    async archiveUpstream(ref: TenantResourceRef, force: boolean): Promise<{ upstream: UpstreamRecord; removedFrom: string[] }> {
      return db.transaction(async (tx) => {
        const [current] = await tx.select().from(upstreams).where(liveUpstreamWhere(ref.tenant, ref.name)).for('update');
        const key = thisActivityKey('upstream-archive');
        if (!current) {
          const archived = await archivedByAnEarlierAttempt(tx, upstreams, and(eq(upstreams.tenantId, ref.tenant), eq(upstreams.name, ref.name)));
          if (!archived) throw noUpstream(ref);
          // The lists it left, as the attempt that archived it recorded them.
          const [left] = key === undefined ? [] : await tx.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.eventKey, key));
          return { upstream: toUpstreamRecord(archived), removedFrom: (left?.details as { removedFrom?: string[] } | undefined)?.removedFrom ?? [] };
        }
        const users = await virtualRegistriesUsing(tx, current.id);
        if (users.length > 0 && !force) {
          const names = users.map((u) => u.name);
          throw failedPrecondition(`virtual registries use upstream "${ref.name}": ${names.join(', ')}; take it out of their lists first, or delete with force=true`, { virtualRegistries: names });
        }
        await tx.delete(virtualRegistryUpstreams).where(eq(virtualRegistryUpstreams.upstreamId, current.id));
        const [row] = await tx.update(upstreams).set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(upstreams.id, current.id)).returning();
        const removedFrom = users.map((u) => u.name);
        // Recorded with the archive, for a retry whose answer was lost to report them.
        if (key !== undefined && removedFrom.length > 0) {
          await tx.insert(auditEvents).values({ eventKey: key, action: 'upstream.removed_from_lists', resource: `tenants/${ref.tenant}/upstreams/${ref.name}`, details: { removedFrom } }).onConflictDoNothing({ target: auditEvents.eventKey });
        }
        return { upstream: toUpstreamRecord(row!), removedFrom };
      });
    },

    findVirtualRegistry(ref: TenantResourceRef): Promise<VirtualRegistryRecord | null> {
      return findLiveVirtualRegistry(db, ref.tenant, ref.name);
    },

    saveVirtualRegistry(id: string, spec: VirtualRegistrySpec): Promise<VirtualRegistryRecord> {
      return insertOnce(
        async () => {
          await db.insert(virtualRegistries).values({ id, tenantId: spec.tenant, name: spec.name, description: spec.description ?? null });
          return (await findLiveVirtualRegistry(db, spec.tenant, spec.name))!;
        },
        async () => {
          const [row] = await db.select({ id: virtualRegistries.id }).from(virtualRegistries).where(and(eq(virtualRegistries.id, id), eq(virtualRegistries.isArchived, false)));
          return row ? findLiveVirtualRegistry(db, spec.tenant, spec.name) : null;
        },
        `a virtual registry "${spec.name}" in tenant ${spec.tenant}`,
      );
    },

    async updateVirtualRegistry(ref: TenantResourceRef, patch: VirtualRegistryPatch): Promise<VirtualRegistryRecord> {
      const [row] = await db.update(virtualRegistries).set({ ...patch, updatedAt: sql`now()` }).where(liveVirtualRegistryWhere(ref.tenant, ref.name)).returning({ id: virtualRegistries.id });
      if (!row) throw noRegistry(ref);
      return (await findLiveVirtualRegistry(db, ref.tenant, ref.name))!;
    },

    /** Archives the registry and drops its list, so its upstreams are used by it no more. */
    async archiveVirtualRegistry(ref: TenantResourceRef): Promise<VirtualRegistryRecord> {
      return db.transaction(async (tx) => {
        const before = await findLiveVirtualRegistry(tx, ref.tenant, ref.name);
        if (!before) {
          const archived = await archivedByAnEarlierAttempt(tx, virtualRegistries, and(eq(virtualRegistries.tenantId, ref.tenant), eq(virtualRegistries.name, ref.name)));
          const [record] = await withUpstreams(tx, archived ? [archived] : []);
          if (!record) throw noRegistry(ref);
          return record;
        }
        await tx.delete(virtualRegistryUpstreams).where(eq(virtualRegistryUpstreams.registryId, before.id));
        await tx.update(virtualRegistries).set({ isArchived: true, deletedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(virtualRegistries.id, before.id));
        return { ...before, upstreams: [] };
      });
    },

    /**
     * Replaces the whole ordered list in one transaction: every name must be a live upstream of the
     * registry's tenant (else 400 naming `body.<i>.upstream`); the API has checked positions and duplicates.
     */
    async setVirtualRegistryUpstreams(ref: TenantResourceRef, list: UpstreamPosition[]): Promise<VirtualRegistryRecord> {
      return db.transaction(async (tx) => {
        const [registry] = await tx.select({ id: virtualRegistries.id }).from(virtualRegistries).where(liveVirtualRegistryWhere(ref.tenant, ref.name)).for('update');
        if (!registry) throw noRegistry(ref);
        const names = list.map((e) => e.upstream);
        const found =
          names.length === 0
            ? []
            : await tx
                .select({ id: upstreams.id, name: upstreams.name })
                .from(upstreams)
                .where(and(eq(upstreams.tenantId, ref.tenant), eq(upstreams.isArchived, false), inArray(upstreams.name, names)))
                // A delete of one of them (archiveUpstream locks it to check who uses it) goes first or after, never across.
                .for('share');
        const idOf = new Map(found.map((u) => [u.name, u.id]));
        const errors = list.flatMap((e, i) =>
          idOf.has(e.upstream) ? [] : [{ field: `body.${i}.upstream`, message: `no upstream "${e.upstream}" in tenant ${ref.tenant}`, code: 'invalid_value' }],
        );
        if (errors.length > 0) throw validationFailed(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
        await tx.delete(virtualRegistryUpstreams).where(eq(virtualRegistryUpstreams.registryId, registry.id));
        if (list.length > 0) await tx.insert(virtualRegistryUpstreams).values(list.map((e) => ({ registryId: registry.id, upstreamId: idOf.get(e.upstream)!, position: e.position })));
        await tx.update(virtualRegistries).set({ updatedAt: sql`now()` }).where(eq(virtualRegistries.id, registry.id));
        return (await findLiveVirtualRegistry(tx, ref.tenant, ref.name))!;
      });
    },
  };
}
