import { and, eq, isNull, lt, or, sql } from 'drizzle-orm';
import type { Db } from './client';
import { registryNames } from './queries/pull-tokens';
import { pullTokens } from './schema';
import { perDatabase } from './per-database';

/**
 * The pull path's reads and writes of pull tokens: like cache entries they are data plane (a
 * client waits on bytes), so the lookup and the last-used note go to the database directly. A
 * lookup by hash on every pull, not a copy in memory, is what makes a revocation hold at the next
 * pull in every API process.
 */

/** What a pull token grants, as the pull path checks it. */
export interface PullTokenGrant {
  id: string;
  name: string;
  tenant: string;
  /** The live virtual registries it may pull from, by name; null: every one of the tenant's. */
  registries: string[] | null;
  revoked: boolean;
  /** By the database's clock, as the expiry was set. */
  expired: boolean;
  lastUsedAt: string | null;
}

function prepareLookup(db: Db) {
  return db
    .select({
      id: pullTokens.id,
      name: pullTokens.name,
      tenant: pullTokens.tenantId,
      registries: registryNames,
      revoked: sql<boolean>`${pullTokens.revokedAt} is not null`,
      expired: sql<boolean>`coalesce(${pullTokens.expiresAt} <= now(), false)`,
      lastUsedAt: pullTokens.lastUsedAt,
    })
    .from(pullTokens)
    .where(eq(pullTokens.tokenHash, sql.placeholder('hash')))
    .limit(1)
    .prepare('pull_token_grant');
}
const lookupOf = perDatabase(prepareLookup);

/** The token whose sha256 is `hash`, revoked and expired ones too (the caller says which it was), or null. */
export async function findPullTokenGrant(db: Db, hash: Buffer): Promise<PullTokenGrant | null> {
  const [row] = await lookupOf(db).execute({ hash });
  return row ?? null;
}

/** A pull with the token: `last_used_at`, at most once a minute per token, so a busy CI does not cost a write per pull. */
export async function notePullTokenUsed(db: Db, grant: Pick<PullTokenGrant, 'id' | 'lastUsedAt'>): Promise<void> {
  // The row just read says it is recent: no round trip.
  if (grant.lastUsedAt !== null && Date.now() - Date.parse(grant.lastUsedAt) < 60_000) return;
  await db
    .update(pullTokens)
    .set({ lastUsedAt: sql`now()` })
    .where(and(eq(pullTokens.id, grant.id), or(isNull(pullTokens.lastUsedAt), lt(pullTokens.lastUsedAt, sql`now() - interval '1 minute'`))));
}
