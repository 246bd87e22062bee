import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveRobot, toRobotRecord, type RobotRecord } from '../../db/queries/robots';
import { projects, robotAccounts } from '../../db/schema';

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

    /**
     * A registered project's robots that an archived row of the same project kept: archiving leaves
     * Harbor's project and its robots, so those Harbor still has belong to the project again (listed,
     * refreshed, deleted through it). How many were taken.
     */
    async adoptRobotsOfArchivedProject(input: { registry: string; name: string; projectId: string; harborRobotIds: number[] }): Promise<number> {
      if (input.harborRobotIds.length === 0) return 0;
      const archived = db
        .select({ id: projects.id })
        .from(projects)
        .where(and(eq(projects.harborAddress, input.registry), eq(projects.name, input.name), eq(projects.isArchived, true)));
      const adopted = await db
        .update(robotAccounts)
        .set({ projectId: input.projectId })
        .where(and(inArray(robotAccounts.projectId, archived), inArray(robotAccounts.harborRobotId, input.harborRobotIds), eq(robotAccounts.isArchived, false)))
        .returning({ id: robotAccounts.id });
      return adopted.length;
    },

    async archiveRobotAccount(id: string): Promise<void> {
      await db.update(robotAccounts).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(robotAccounts.id, id));
    },
  };
}
