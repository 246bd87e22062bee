import { ApplicationFailure } from '@temporalio/common';
import { HarborFailure, isNotFound } from './errors';
import type { HarborInstances } from './instances';

/** A Harbor project member as the membership sync compares it. */
export interface HarborMember {
  id: number;
  name: string;
  /** `g` group, `u` user. */
  type: string;
  roleId: number;
}

/** An OIDC group member a project should have. */
export interface MemberSpec {
  group: string;
  roleId: number;
}

const isConflict = (err: unknown) => err instanceof ApplicationFailure && err.type === HarborFailure.Conflict;

/** Harbor project members: list, add an OIDC group, change a role, remove, and make a set of groups match. */
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
        if (!isConflict(err)) throw err;
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
        if (!isNotFound(err)) throw err;
      }
    },

    /** Makes the OIDC group members match `members` (adds, re-roles; leaves other members alone unless `exact`). */
    async syncHarborMembers(registry: string, name: string, members: MemberSpec[], exact = false): Promise<{ added: string[]; updated: string[]; removed: string[] }> {
      const client = harbor(registry);
      const current = (await client.members.list(name)).filter((m) => m.entity_type === 'g');
      const changes = { added: [] as string[], updated: [] as string[], removed: [] as string[] };
      for (const want of members) {
        const have = current.find((m) => m.entity_name === want.group);
        if (!have) {
          try {
            await client.members.addGroup(name, want.group, want.roleId);
          } catch (err) {
            if (!isConflict(err)) throw err;
          }
          changes.added.push(want.group);
        } else if (have.role_id !== want.roleId) {
          try {
            await client.members.updateRole(name, have.id!, want.roleId);
          } catch (err) {
            // Removed since it was listed (the membership sync, a retry of this): added again with its role.
            if (!isNotFound(err)) throw err;
            await client.members.addGroup(name, want.group, want.roleId).catch((e: unknown) => {
              if (!isConflict(e)) throw e;
            });
          }
          changes.updated.push(want.group);
        }
      }
      if (exact) {
        for (const extra of current.filter((m) => !members.some((w) => w.group === m.entity_name))) {
          try {
            await client.members.remove(name, extra.id!);
          } catch (err) {
            // Removed since it was listed: gone either way. A project gone is found by the next call's 404.
            if (!isNotFound(err)) throw err;
          }
          changes.removed.push(extra.entity_name!);
        }
      }
      return changes;
    },

    /** Removes the named groups (compensation of onboarding's members); a project already gone has none. */
    async removeHarborMembers(registry: string, name: string, groups: string[]): Promise<void> {
      const client = harbor(registry);
      let current;
      try {
        current = await client.members.list(name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      for (const member of current.filter((m) => m.entity_type === 'g' && groups.includes(m.entity_name!))) {
        try {
          await client.members.remove(name, member.id!);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    },
  };
}
