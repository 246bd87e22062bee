import { eq } from 'drizzle-orm';
import type { Db } from '../client';
import { projectMemberships } from '../schema';
import type { MembershipView } from '../../lib/membership';
import { isoTime } from '../../lib/time';

/** A project's last observed membership; before any membership workflow observed it, empty with `observedAt` null. */
export function toMembershipView(row: typeof projectMemberships.$inferSelect | null): MembershipView {
  if (!row) return { keycloak: {}, harbor: [], drift: { added: [], updated: [], removed: [], unmanaged: [] }, observedAt: null };
  return { keycloak: row.keycloak, harbor: row.harbor, drift: row.drift, observedAt: isoTime(row.observedAt) };
}

export async function findMembership(db: Db, projectId: string): Promise<MembershipView> {
  const [row] = await db.select().from(projectMemberships).where(eq(projectMemberships.projectId, projectId)).limit(1);
  return toMembershipView(row ?? null);
}
