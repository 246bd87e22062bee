import postgres from 'postgres';

/** Ends a fill's lock (idempotent): another process waiting for it may take it. */
export type FillLease = () => Promise<void>;

export interface FillLocks {
  /**
   * Takes the lock of one (upstream, digest) fill across every process on this database, or null when
   * another process holds it. With every lock connection in use the fill goes ahead unlocked (a lease
   * that ends nothing): a pull never waits for a connection that a multi-GB fill may hold for minutes.
   */
  tryTake(upstreamId: string, digest: string): Promise<FillLease | null>;
  close(): Promise<void>;
}

/**
 * Cache fills coordinated across API and worker processes by PostgreSQL session advisory locks, each
 * on a connection of its own, reserved from a small pool apart from the queries' pool (so fills never
 * starve it) for as long as the fill runs. A process that dies, or loses its connection, loses its
 * locks with its session: a waiting process then takes over, and no lock outlives its holder. The key
 * is two `hashtext`s (upstream id, digest): a collision only makes one fill wait for another.
 */
export function createFillLocks(url: string, opts: { max?: number } = {}): FillLocks {
  const max = opts.max ?? 8;
  const sql = postgres(url, { max, onnotice: () => {} });
  let reservedCount = 0;
  return {
    async tryTake(upstreamId, digest) {
      if (reservedCount >= max) return async () => undefined;
      reservedCount++;
      let connection: postgres.ReservedSql | undefined;
      const release = () => {
        connection?.release();
        reservedCount--;
      };
      try {
        connection = await sql.reserve();
        const [row] = await connection<{ taken: boolean }[]>`select pg_try_advisory_lock(hashtext(${upstreamId}), hashtext(${digest})) as taken`;
        if (!row?.taken) {
          release();
          return null;
        }
      } catch (err) {
        release();
        throw err;
      }
      const held = connection;
      let ended = false;
      return async () => {
        if (ended) return;
        ended = true;
        // A failed unlock means a broken connection, whose session (and lock) PostgreSQL ends anyway.
        await held`select pg_advisory_unlock(hashtext(${upstreamId}), hashtext(${digest}))`.catch(() => undefined);
        release();
      };
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
