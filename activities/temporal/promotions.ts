import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { eq, and } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { remoteRegistries } from '../../db/schema';
import type { VersionRef } from '../../lib/checkpoints';
import { APPROVAL_CHANGED_SIGNAL } from '../../lib/promotion';
import { promotionWorkflowId } from '../../lib/workflow-ids';

/** Wakes the promotions of a version waiting for its approval. */
export function createPromotionSignalActivities(deps: { db: Db; temporal: { client: Client } }) {
  return {
    /**
     * Signals the promotion of the version to each live remote registry of its Harbor instance, by
     * its deterministic id (visibility lags; ids do not); those not running are skipped. Their count.
     */
    async signalWaitingPromotions(ref: VersionRef): Promise<number> {
      const remotes = await deps.db.select({ name: remoteRegistries.name }).from(remoteRegistries).where(and(eq(remoteRegistries.harborInstance, ref.registry), eq(remoteRegistries.isArchived, false)));
      let signalled = 0;
      for (const { name } of remotes) {
        try {
          await deps.temporal.client.workflow.getHandle(promotionWorkflowId(ref.registry, ref.project, ref.model, ref.tag, name)).signal(APPROVAL_CHANGED_SIGNAL);
          signalled++;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return signalled;
    },
  };
}
