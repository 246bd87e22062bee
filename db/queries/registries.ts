import { and, asc, eq, gt, inArray, isNull, or } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { remoteRegistries } from '../schema';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

/** A remote registry as the API shows it: whether it has a credential, never the credential. */
export interface RemoteRegistryRecord {
  id: string;
  name: string;
  /** The managed Harbor instance it is an endpoint of. */
  registry: string;
  harborRegistryId: number;
  /** Null: shared by every tenant. */
  tenant: string | null;
  type: string;
  url: string;
  insecure: boolean;
  description: string | null;
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
}

export const toRemoteRegistryRecord = (row: typeof remoteRegistries.$inferSelect): RemoteRegistryRecord => ({
  id: row.id,
  name: row.name,
  registry: row.harborInstance,
  harborRegistryId: row.harborRegistryId,
  tenant: row.tenantId,
  type: row.type,
  url: row.url,
  insecure: row.insecure,
  description: row.description,
  hasCredentials: row.sealedSecret !== null,
  createdAt: isoTime(row.createdAt) ?? row.createdAt,
  updatedAt: isoTime(row.updatedAt) ?? row.updatedAt,
});

export const liveRemoteRegistryWhere = (registry: string, name: string) =>
  and(eq(remoteRegistries.harborInstance, registry), eq(remoteRegistries.name, name), eq(remoteRegistries.isArchived, false));

/** The live endpoint of that name on a Harbor instance. */
export async function findLiveRemoteRegistry(db: Db | Tx, registry: string, name: string): Promise<RemoteRegistryRecord | null> {
  const [row] = await db.select().from(remoteRegistries).where(liveRemoteRegistryWhere(registry, name)).limit(1);
  return row ? toRemoteRegistryRecord(row) : null;
}

/** Live endpoints of a Harbor instance owned by one of `tenants`, and the shared ones when `shared`; by name after `after`. */
export async function listRemoteRegistries(db: Db, registry: string, q: { tenants: string[]; shared: boolean; after?: string; limit: number }): Promise<Page<RemoteRegistryRecord>> {
  const owned = q.tenants.length > 0 ? inArray(remoteRegistries.tenantId, q.tenants) : undefined;
  const visible = or(owned, q.shared ? isNull(remoteRegistries.tenantId) : undefined);
  if (!visible) return { items: [], next: null };
  const rows = await db
    .select()
    .from(remoteRegistries)
    .where(and(eq(remoteRegistries.harborInstance, registry), eq(remoteRegistries.isArchived, false), visible, q.after === undefined ? undefined : gt(remoteRegistries.name, q.after)))
    .orderBy(asc(remoteRegistries.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toRemoteRegistryRecord);
}
