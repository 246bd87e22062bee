import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { TenantInput, TenantRecord } from '../activities/db';
import { profiles } from './activity-options';

const { findTenant, upsertTenant } = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

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
  const created = existing === null;
  // Runs from before this patch announced nothing.
  if (patched('tenant-events') && (created || existing.companyName !== tenant.companyName || existing.url !== tenant.url)) {
    await events.publishEvent({
      id: uuid4(),
      type: created ? 'modelregistry.tenant.created' : 'modelregistry.tenant.updated',
      subject: `tenants/${tenant.name}`,
      time: new Date().toISOString(),
      data: { tenant: tenant.name, companyName: tenant.companyName, url: tenant.url },
    });
  }
  return { tenant, created };
}
