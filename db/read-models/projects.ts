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
