import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { toRobotRecord, type RobotRecord } from '../../db/queries/robots';
import { robotAccounts } from '../../db/schema';

export function createRobotActivities({ db }: { db: Db }) {
  return {
    async findRobotAccount(projectId: string, fullName: string): Promise<RobotRecord | null> {
      const [row] = await db
        .select()
        .from(robotAccounts)
        .where(and(eq(robotAccounts.projectId, projectId), eq(robotAccounts.name, fullName), eq(robotAccounts.isArchived, false)))
        .limit(1);
      return row ? toRobotRecord(row) : null;
    },

    async updateRobotSecret(id: string, sealedSecret: string): Promise<void> {
      await db.update(robotAccounts).set({ secret: sealedSecret }).where(eq(robotAccounts.id, id));
    },

    async archiveRobotAccount(id: string): Promise<void> {
      await db.update(robotAccounts).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(robotAccounts.id, id));
    },
  };
}
