import type { Db } from '../db/client';
import { createDbActivities } from './db';

export interface ActivityDeps {
  db: Db;
}

/** Every activity the worker registers, built from real clients so tests can point them at test servers. */
export function createActivities(deps: ActivityDeps) {
  return { ...createDbActivities(deps) };
}

export type Activities = ReturnType<typeof createActivities>;
