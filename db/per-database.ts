import type { Db } from './client';

/**
 * `build(db)` once per database handle, the same value after: prepared statements (building a query
 * cost more CPU than PostgreSQL's answer to it) and lookup rows fixed by migration.
 */
export function perDatabase<T>(build: (db: Db) => T): (db: Db) => T {
  const built = new WeakMap<Db, T>();
  return (db) => {
    let value = built.get(db);
    if (value === undefined) built.set(db, (value = build(db)));
    return value;
  };
}
