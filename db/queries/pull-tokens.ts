import { and, asc, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { pullTokens, virtualRegistries } from '../schema';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

/** A pull token as the API shows it: never the token, nor its hash. */
export interface PullTokenRecord {
  id: string;
  tenant: string;
  name: string;
  description: string | null;
  /** The live virtual registries it may pull from, by name; null: every one of the tenant's. */
  virtualRegistries: string[] | null;
  createdBy: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

// A registry deleted since drops out of the list (the token may not pull from one made again under its name).
export const registryNames = sql<string[] | null>`case when ${pullTokens.virtualRegistryIds} is null then null else array(
  select r.name from ${virtualRegistries} r where r.id = any(${pullTokens.virtualRegistryIds}) and not r.is_archived order by r.name) end`;

const columns = {
  id: pullTokens.id,
  tenant: pullTokens.tenantId,
  name: pullTokens.name,
  description: pullTokens.description,
  virtualRegistries: registryNames,
  createdBy: pullTokens.createdBy,
  createdAt: pullTokens.createdAt,
  expiresAt: pullTokens.expiresAt,
  revokedAt: pullTokens.revokedAt,
  lastUsedAt: pullTokens.lastUsedAt,
};

/** The columns as PostgreSQL writes its timestamps, in ISO 8601 UTC. */
const toRecord = (row: PullTokenRecord): PullTokenRecord => ({
  ...row,
  createdAt: isoTime(row.createdAt) ?? row.createdAt,
  expiresAt: isoTime(row.expiresAt),
  revokedAt: isoTime(row.revokedAt),
  lastUsedAt: isoTime(row.lastUsedAt),
});

const livePullTokenWhere = (tenant: string, name: string) => and(eq(pullTokens.tenantId, tenant), eq(pullTokens.name, name), isNull(pullTokens.revokedAt));

/** A tenant's unrevoked token by name (expired ones too: they are shown until revoked). */
export async function findLivePullToken(db: Db | Tx, tenant: string, name: string): Promise<PullTokenRecord | null> {
  const [row] = await db.select(columns).from(pullTokens).where(livePullTokenWhere(tenant, name)).limit(1);
  return row ? toRecord(row) : null;
}

export async function findPullTokenById(db: Db | Tx, id: string): Promise<PullTokenRecord | null> {
  const [row] = await db.select(columns).from(pullTokens).where(eq(pullTokens.id, id)).limit(1);
  return row ? toRecord(row) : null;
}

/** A tenant's unrevoked tokens by name, after the name `after`. */
export async function listPullTokens(db: Db, tenant: string, q: { after?: string; limit: number }): Promise<Page<PullTokenRecord>> {
  const rows = await db
    .select(columns)
    .from(pullTokens)
    .where(and(eq(pullTokens.tenantId, tenant), isNull(pullTokens.revokedAt), q.after === undefined ? undefined : gt(pullTokens.name, q.after)))
    .orderBy(asc(pullTokens.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toRecord);
}
