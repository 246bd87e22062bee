import type { projects } from '../schema';
import { isoTime } from '../../lib/time';

/** Harbor project settings the service manages (Harbor's project `metadata`). */
export interface ProjectSettings {
  autoScan: boolean;
  contentTrustCosign: boolean;
  preventVulnerable: boolean;
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
}

/** A project as the API shows it (the runbook's field names) and workflows return it. */
export interface ProjectRecord {
  id: string;
  name: string;
  displayName: string;
  description: string | null;
  public: boolean;
  tenantId: string;
  registry: string;
  harborId: number | null;
  storageLimit: number | null;
  settings: ProjectSettings | null;
  archived: boolean;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Harbor's figures for a project as a workflow last fetched them (`refreshedAt`). */
export interface HarborSummary {
  repoCount: number;
  quotaHard: number | null;
  quotaUsed: number | null;
  refreshedAt: string;
}

/** The row's copy of Harbor's figures; null until a workflow first recorded them. */
export function toHarborSummary(row: typeof projects.$inferSelect): HarborSummary | null {
  const refreshedAt = isoTime(row.harborSummaryRefreshedAt);
  if (refreshedAt === null) return null;
  return { repoCount: row.harborRepositoryCount ?? 0, quotaHard: row.harborQuotaHardBytes, quotaUsed: row.harborQuotaUsedBytes, refreshedAt };
}

export function toProjectRecord(row: typeof projects.$inferSelect): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    public: row.isPublic,
    tenantId: row.tenantId,
    registry: row.harborAddress,
    harborId: row.harborId,
    storageLimit: row.storageLimit,
    settings: (row.settings as ProjectSettings | null) ?? null,
    archived: row.isArchived,
    deletedAt: isoTime(row.deletedAt),
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
  };
}
