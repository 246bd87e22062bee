import type { robotAccounts } from '../schema';
import { isoTime } from '../../lib/time';

/** A robot account as the API shows it: never its secret. */
export interface RobotRecord {
  id: string;
  name: string;
  harborRobotId: number;
  description: string | null;
  permissions: string[] | null;
  expiresAt: string | null;
  createdAt: string;
  archived: boolean;
}

export function toRobotRecord(row: typeof robotAccounts.$inferSelect): RobotRecord {
  return {
    id: row.id,
    name: row.name,
    harborRobotId: row.harborRobotId,
    description: row.description,
    permissions: row.permissions,
    expiresAt: isoTime(row.expiresAt),
    createdAt: isoTime(row.createdAt) ?? row.createdAt,
    archived: row.isArchived,
  };
}
