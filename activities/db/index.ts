import type { Db } from '../../db/client';
import { createTenantActivities } from './tenants';

export type { TenantInput, TenantRecord } from '../../db/read-models/tenants';

export function createDbActivities(deps: { db: Db }) {
  return { ...createTenantActivities(deps) };
}
