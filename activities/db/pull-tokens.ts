import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { findLivePullToken, findPullTokenById, type PullTokenRecord } from '../../db/queries/pull-tokens';
import { pullTokens, virtualRegistries } from '../../db/schema';
import { conflict, notFound, validationFailed } from '../../lib/failure-types';
import { newPullToken, pullTokenHash } from '../../lib/pull-token-secret';
import type { PullTokenSpec } from '../../lib/pull-tokens';
import type { SecretBox } from '../../lib/secrets';
import type { TenantResourceRef } from '../../lib/virtual-registries';

const UNIQUE_VIOLATION = '23505';

/** The ids of the named virtual registries, all live and the tenant's (else a 400 naming each entry that is not); null for all. */
async function registryIds(tx: Tx, spec: PullTokenSpec): Promise<string[] | null> {
  if (spec.virtualRegistries === undefined) return null;
  const found = await tx
    .select({ id: virtualRegistries.id, name: virtualRegistries.name })
    .from(virtualRegistries)
    .where(and(eq(virtualRegistries.tenantId, spec.tenant), eq(virtualRegistries.isArchived, false), inArray(virtualRegistries.name, spec.virtualRegistries)));
  const idOf = new Map(found.map((r) => [r.name, r.id]));
  const errors = spec.virtualRegistries.flatMap((name, i) =>
    idOf.has(name) ? [] : [{ field: `body.virtualRegistries.${i}`, message: `no virtual registry "${name}" in tenant ${spec.tenant}`, code: 'invalid_value' }],
  );
  if (errors.length > 0) throw validationFailed(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });
  return spec.virtualRegistries.map((name) => idOf.get(name)!);
}

/**
 * Pull token rows, written by their workflows. The token is made here and leaves only sealed
 * (lib/secrets), for the API's one-time reveal: the workflow's history holds it sealed, the row its hash.
 */
export function createPullTokenActivities({ db, secrets }: { db: Db; secrets: SecretBox }) {
  return {
    findPullToken(ref: TenantResourceRef): Promise<PullTokenRecord | null> {
      return findLivePullToken(db, ref.tenant, ref.name);
    },

    /**
     * Records a token under the id the workflow chose. A retry whose answer was lost finds that row
     * and gives it a new token: the first one was never shown to anyone.
     */
    async createPullToken(id: string, spec: PullTokenSpec & { createdBy: string }): Promise<{ pullToken: PullTokenRecord; sealedSecret: string }> {
      const token = newPullToken();
      const tokenHash = pullTokenHash(token);
      const pullToken = await db.transaction(async (tx) => {
        const [own] = await tx.select({ id: pullTokens.id }).from(pullTokens).where(eq(pullTokens.id, id));
        if (own) {
          await tx.update(pullTokens).set({ tokenHash }).where(eq(pullTokens.id, id));
        } else {
          const ids = await registryIds(tx, spec);
          const never = spec.durationDays === undefined || spec.durationDays === -1;
          try {
            await tx.insert(pullTokens).values({
              id,
              tenantId: spec.tenant,
              name: spec.name,
              description: spec.description ?? null,
              tokenHash,
              virtualRegistryIds: ids,
              createdBy: spec.createdBy,
              expiresAt: never ? null : sql`now() + make_interval(days => ${spec.durationDays})`,
            });
          } catch (err) {
            if ((err as { code?: string }).code === UNIQUE_VIOLATION) throw conflict(`a pull token "${spec.name}" exists in tenant ${spec.tenant}`);
            throw err;
          }
        }
        return findPullTokenById(tx, id);
      });
      return { pullToken: pullToken!, sealedSecret: secrets.seal(token) };
    },

    /** Revokes it (a retry keeps the first time): the next pull with it is refused, in every API process. */
    async revokePullToken(id: string): Promise<PullTokenRecord> {
      await db.update(pullTokens).set({ revokedAt: sql`coalesce(${pullTokens.revokedAt}, now())` }).where(eq(pullTokens.id, id));
      const revoked = await findPullTokenById(db, id);
      if (!revoked) throw notFound(`no pull token ${id}`);
      return revoked;
    },
  };
}
