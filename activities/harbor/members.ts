import { ApplicationFailure } from '@temporalio/common';
import { HarborFailure } from './errors';
import type { HarborInstances } from './instances';

/** A Harbor project member as the membership sync compares it. */
export interface HarborMember {
  id: number;
  name: string;
  /** `g` group, `u` user. */
  type: string;
  roleId: number;
}

/** Harbor project members: list, add an OIDC group, change a role, remove. */
export function createHarborMemberActivities(deps: { harbor: HarborInstances }) {
  const harbor = (registry: string) => deps.harbor.get(registry);
  return {
    async listHarborMembers(registry: string, project: string): Promise<HarborMember[]> {
      return (await harbor(registry).members.list(project)).map((m) => ({ id: m.id!, name: m.entity_name ?? '', type: m.entity_type ?? '', roleId: m.role_id ?? 0 }));
    },
    /** Adds the group; a retry that finds it added (409) sets its role instead. */
    async addHarborGroupMember(registry: string, project: string, group: string, roleId: number): Promise<number> {
      try {
        return await harbor(registry).members.addGroup(project, group, roleId);
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.type === HarborFailure.Conflict)) throw err;
        const existing = (await harbor(registry).members.list(project)).find((m) => m.entity_type === 'g' && m.entity_name === group);
        if (!existing?.id) throw err;
        await harbor(registry).members.updateRole(project, existing.id, roleId);
        return existing.id;
      }
    },
    async updateHarborMemberRole(registry: string, project: string, memberId: number, roleId: number): Promise<void> {
      await harbor(registry).members.updateRole(project, memberId, roleId);
    },
    /** Removes the member; already gone (a retry) is done. */
    async removeHarborMember(registry: string, project: string, memberId: number): Promise<void> {
      try {
        await harbor(registry).members.remove(project, memberId);
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.type === HarborFailure.NotFound)) throw err;
      }
    },
  };
}
