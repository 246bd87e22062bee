import { eq, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveVersion } from '../../db/queries/versions';
import { images } from '../../db/schema';
import type { VersionRef } from '../../lib/checkpoints';
import { notFound } from '../../lib/failure-types';
import type { Approval } from '../../lib/promotion';
import { isoTime } from '../../lib/time';

const noVersion = (ref: VersionRef) => notFound(`no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`);

/** The approval of the image a tag points to, written by the approval workflow. */
export function createApprovalActivities({ db }: { db: Db }) {
  return {
    /** Approves (with who) or withdraws; the same call again changes nothing but the time of an approval. */
    async setVersionApproval(ref: VersionRef, approver: { username: string; subject: string } | null): Promise<Approval> {
      const version = await findLiveVersion(db, ref);
      if (!version) throw noVersion(ref);
      const [row] = await db
        .update(images)
        .set(
          approver
            ? { isApproved: true, approvedBy: approver.username, approvedBySubject: approver.subject, approvedAt: sql`now()` }
            : { isApproved: false, approvedBy: null, approvedBySubject: null, approvedAt: null },
        )
        .where(eq(images.id, version.imageId))
        .returning();
      return { approved: row!.isApproved, digest: row!.digest, approvedBy: row!.approvedBy, approvedAt: isoTime(row!.approvedAt) };
    },
  };
}
