import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { projectMemberships } from '../../db/schema';
import type { MembershipChanges, ObservedHarborMember, ProjectMembers } from '../../lib/membership';

export function createMembershipActivities({ db }: { db: Db }) {
  return {
    /** The membership a workflow just observed (and left), for `GET …/members`; one row per project. */
    async saveMembershipView(input: { projectId: string; keycloak: ProjectMembers; harbor: ObservedHarborMember[]; drift: MembershipChanges }): Promise<void> {
      const values = { keycloak: input.keycloak, harbor: input.harbor, drift: input.drift, observedAt: sql`now()` };
      await db
        .insert(projectMemberships)
        .values({ projectId: input.projectId, ...values })
        .onConflictDoUpdate({ target: projectMemberships.projectId, set: values });
    },
  };
}
