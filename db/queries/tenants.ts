import type { tenants } from '../schema';
import { isoTime } from '../../lib/time';

export interface TenantInput {
  name: string;
  companyName: string;
  url: string;
}

/** A tenant as the API shows it and workflows return it. */
export interface TenantRecord extends TenantInput {
  id: string;
  createdAt: string;
  updatedAt: string;
}

export function toTenantRecord(row: typeof tenants.$inferSelect): TenantRecord {
  return {
    id: row.id,
    name: row.name,
    companyName: row.companyName,
    url: row.url,
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
  };
}
