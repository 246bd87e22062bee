import { and, asc, eq, gt } from 'drizzle-orm';
import type { Db } from '../client';
import { robotAccounts } from '../schema';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

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

const liveWhere = (projectId: string) => and(eq(robotAccounts.projectId, projectId), eq(robotAccounts.isArchived, false));

/** A project's live robot by its full name (`robot$<project>+<name>`). */
export async function findLiveRobot(db: Db, projectId: string, fullName: string): Promise<RobotRecord | null> {
  const [row] = await db.select().from(robotAccounts).where(and(liveWhere(projectId), eq(robotAccounts.name, fullName))).limit(1);
  return row ? toRobotRecord(row) : null;
}

/** A project's live robots by full name, after the name `after`. */
export async function listRobots(db: Db, projectId: string, q: { after?: string; limit: number }): Promise<Page<RobotRecord>> {
  const rows = await db
    .select()
    .from(robotAccounts)
    .where(and(liveWhere(projectId), q.after === undefined ? undefined : gt(robotAccounts.name, q.after)))
    .orderBy(asc(robotAccounts.name))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.name, toRobotRecord);
}
