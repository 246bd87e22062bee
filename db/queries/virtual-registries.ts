import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { upstreams, virtualRegistries, virtualRegistryUpstreams } from '../schema';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

/** An upstream as the API shows it: whether it has a credential, never the credential. */
export interface UpstreamRecord {
  id: string;
  tenant: string;
  name: string;
  description: string | null;
  url: string;
  cacheValidityHours: number;
  credentialKind: string;
  username: string | null;
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface VirtualRegistryUpstreamRecord {
  position: number;
  upstream: string;
  url: string;
}

export interface VirtualRegistryRecord {
  id: string;
  tenant: string;
  name: string;
  description: string | null;
  /** In position order. */
  upstreams: VirtualRegistryUpstreamRecord[];
  createdAt: string;
  updatedAt: string;
}

const iso = (t: string) => isoTime(t) ?? t;

export const toUpstreamRecord = (row: typeof upstreams.$inferSelect): UpstreamRecord => ({
  id: row.id,
  tenant: row.tenantId,
  name: row.name,
  description: row.description,
  url: row.url,
  cacheValidityHours: row.cacheValidityHours,
  credentialKind: row.credentialKind,
  username: row.username,
  hasCredentials: row.sealedSecret !== null,
  createdAt: iso(row.createdAt),
  updatedAt: iso(row.updatedAt),
});

export const liveUpstreamWhere = (tenant: string, name: string) => and(eq(upstreams.tenantId, tenant), eq(upstreams.name, name), eq(upstreams.isArchived, false));
export const liveVirtualRegistryWhere = (tenant: string, name: string) =>
  and(eq(virtualRegistries.tenantId, tenant), eq(virtualRegistries.name, name), eq(virtualRegistries.isArchived, false));

export async function findLiveUpstream(db: Db | Tx, tenant: string, name: string): Promise<UpstreamRecord | null> {
  const [row] = await db.select().from(upstreams).where(liveUpstreamWhere(tenant, name)).limit(1);
  return row ? toUpstreamRecord(row) : null;
}

export async function listUpstreams(db: Db, tenant: string, q: { after?: string; limit: number }): Promise<Page<UpstreamRecord>> {
  const rows = await db
    .select()
    .from(upstreams)
    .where(and(eq(upstreams.tenantId, tenant), eq(upstreams.isArchived, false), q.after === undefined ? undefined : gt(upstreams.name, q.after)))
    .orderBy(asc(upstreams.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toUpstreamRecord);
}

/** The live virtual registries of a tenant that use an upstream, by name. */
export async function virtualRegistriesUsing(db: Db | Tx, upstreamId: string): Promise<{ id: string; name: string }[]> {
  return db
    .select({ id: virtualRegistries.id, name: virtualRegistries.name })
    .from(virtualRegistryUpstreams)
    .innerJoin(virtualRegistries, eq(virtualRegistries.id, virtualRegistryUpstreams.registryId))
    .where(and(eq(virtualRegistryUpstreams.upstreamId, upstreamId), eq(virtualRegistries.isArchived, false)))
    .orderBy(asc(virtualRegistries.name));
}

/** The records of these rows, each with its ordered upstream list. */
export async function withUpstreams(db: Db | Tx, rows: (typeof virtualRegistries.$inferSelect)[]): Promise<VirtualRegistryRecord[]> {
  const records: VirtualRegistryRecord[] = [];
  for (const row of rows) {
    const list = await db
      .select({ position: virtualRegistryUpstreams.position, upstream: upstreams.name, url: upstreams.url })
      .from(virtualRegistryUpstreams)
      .innerJoin(upstreams, eq(upstreams.id, virtualRegistryUpstreams.upstreamId))
      .where(eq(virtualRegistryUpstreams.registryId, row.id))
      .orderBy(asc(virtualRegistryUpstreams.position));
    records.push({ id: row.id, tenant: row.tenantId, name: row.name, description: row.description, upstreams: list, createdAt: iso(row.createdAt), updatedAt: iso(row.updatedAt) });
  }
  return records;
}

export async function findLiveVirtualRegistry(db: Db | Tx, tenant: string, name: string): Promise<VirtualRegistryRecord | null> {
  const rows = await db.select().from(virtualRegistries).where(liveVirtualRegistryWhere(tenant, name)).limit(1);
  return (await withUpstreams(db, rows))[0] ?? null;
}

export async function listVirtualRegistries(db: Db, tenant: string, q: { after?: string; limit: number }): Promise<Page<VirtualRegistryRecord>> {
  const rows = await db
    .select()
    .from(virtualRegistries)
    .where(and(eq(virtualRegistries.tenantId, tenant), eq(virtualRegistries.isArchived, false), q.after === undefined ? undefined : gt(virtualRegistries.name, q.after)))
    .orderBy(asc(virtualRegistries.name))
    .limit(q.limit + 1);
  const page = pageOf(rows, q.limit, (r) => r.name, (r) => r);
  return { items: await withUpstreams(db, page.items), next: page.next };
}
