import type { Db } from '../../db/client';
import { createProjectActivities } from './projects';
import { createTenantActivities } from './tenants';

export type { TenantInput, TenantRecord } from '../../db/read-models/tenants';
export type { ProjectRowInput } from './projects';

export function createDbActivities(deps: { db: Db }) {
  return { ...createTenantActivities(deps), ...createProjectActivities(deps) };
}
