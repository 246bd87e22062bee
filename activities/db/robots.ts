import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveRobot, toRobotRecord, type RobotRecord } from '../../db/queries/robots';
import { robotAccounts } from '../../db/schema';

export function createRobotActivities({ db }: { db: Db }) {
  return {
    async saveRobotAccount(input: { projectId: string; harborRobotId: number; name: string; sealedSecret: string; expiresAt: string | null; description?: string | null; permissions?: string[] }) {
      const [row] = await db
        .insert(robotAccounts)
        .values({
          projectId: input.projectId,
          harborRobotId: input.harborRobotId,
          name: input.name,
          secret: input.sealedSecret,
          expiresAt: input.expiresAt,
          description: input.description ?? null,
          permissions: input.permissions ?? null,
        })
        .onConflictDoUpdate({
          target: [robotAccounts.projectId, robotAccounts.harborRobotId],
          set: { secret: input.sealedSecret, expiresAt: input.expiresAt },
        })
        .returning();
      return toRobotRecord(row!);
    },

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
