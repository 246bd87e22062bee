import { z } from '@hono/zod-openapi';
import { PROJECT_ROLES } from '../../lib/membership';
import { line } from '../../lib/text';

const Usernames = z.array(line().min(1).max(255)).max(500);
export const MembersSchema = z
  .object(Object.fromEntries(PROJECT_ROLES.map((role) => [role, Usernames.optional()])) as Record<(typeof PROJECT_ROLES)[number], z.ZodOptional<typeof Usernames>>)
  .strict()
  .openapi('ProjectMembersByRole', { example: { developer: ['carol'], guest: ['dave'] } });
export const ChangesSchema = z
  .object({
    added: z.array(z.object({ group: z.string(), roleId: z.number().int() })),
    updated: z.array(z.object({ group: z.string(), fromRoleId: z.number().int(), toRoleId: z.number().int() })),
    removed: z.array(z.object({ group: z.string(), roleId: z.number().int() })),
    unmanaged: z.array(z.string()).openapi({ description: 'Members left alone: users, and groups outside the project\'s Keycloak groups' }),
  })
  .openapi('MembershipChanges');
export const ViewSchema = z
  .object({
    keycloak: MembersSchema,
    harbor: z.array(z.object({ name: z.string(), type: z.string().openapi({ description: '`g` group, `u` user' }), roleId: z.number().int() })),
    drift: ChangesSchema.openapi({ description: 'What a sync would have changed at `observedAt`: after a sync, nothing but the unmanaged members' }),
    observedAt: z
      .string()
      .nullable()
      .openapi({ description: 'When a membership workflow (PUT, sync, the membership-sync Schedule) last observed Keycloak and Harbor; null, with empty lists, until one has' }),
  })
  .openapi('ProjectMembership');
export const UpdateResultSchema = z.object({ keycloak: z.object({ added: z.array(z.string()), removed: z.array(z.string()) }), harbor: ChangesSchema }).openapi('MembershipUpdate');
export const MembersPutSchema = z.object({ members: MembersSchema }).strict();
