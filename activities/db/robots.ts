import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveRobot, type RobotRecord } from '../../db/queries/robots';
import { robotAccounts } from '../../db/schema';

export function createRobotActivities({ db }: { db: Db }) {
  return {
    findRobotAccount(projectId: string, fullName: string): Promise<RobotRecord | null> {
      return findLiveRobot(db, projectId, fullName);
    },

    async updateRobotSecret(id: string, sealedSecret: string): Promise<void> {
      await db.update(robotAccounts).set({ secret: sealedSecret }).where(eq(robotAccounts.id, id));
    },

    async archiveRobotAccount(id: string): Promise<void> {
      await db.update(robotAccounts).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(robotAccounts.id, id));
    },
  };
}
