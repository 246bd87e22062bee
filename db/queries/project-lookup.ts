import type { ChangeFeed } from '../change-feed';
import type { Db } from '../client';
import { createReadCache } from '../read-cache';
import { findProject, type ProjectDetail } from './projects';

/**
 * Projects by name as every project-scoped request looks them up (its authorization: tenant and
 * access; the catalogue's reads: id and state), from memory while the change feed is live and
 * until the projects table next changes. The detail is shared between requests: read it, never
 * modify it.
 */
export function createProjectLookup(db: Db, changes: ChangeFeed | undefined) {
  const cache = createReadCache<ProjectDetail | null>(changes, 'projects');
  return {
    /** The project of that name, live or else the one archived last (findProject). */
    find: (registry: string, name: string) => cache.get(`${registry}\u0000${name}`, () => findProject(db, registry, name)),
  };
}
export type ProjectLookup = ReturnType<typeof createProjectLookup>;
