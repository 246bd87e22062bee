import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TenantInput, TenantRecord } from '../activities/db';
import { profiles } from './activity-options';

const { findTenant, upsertTenant } = proxyActivities<Activities>(profiles.database);

export interface TenantUpsertResult {
  tenant: TenantRecord;
  /** False when the name existed: the runbook answers 409 with the updated tenant then. */
  created: boolean;
}

/**
 * Creates or updates a tenant. Whether it existed is read before the write, so a retried
 * upsert cannot turn a creation into an update; the business-key id keeps one run per tenant.
 */
export async function tenantUpsertWorkflow(input: TenantInput): Promise<TenantUpsertResult> {
  const existing = await findTenant(input.name);
  const tenant = await upsertTenant(input);
  return { tenant, created: existing === null };
}
