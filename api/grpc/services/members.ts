import type { ServiceImpl } from '@connectrpc/connect';
import { z } from 'zod';
import { MembershipChangesSchema, MembershipUpdateSchema, ProjectMembershipSchema, SetMembersRequestSchema, type MemberService } from '../../../gen/modelregistry/v1/members_pb';
import { pathName } from '../../schemas/common';
import { MembersPutSchema } from '../../schemas/members';
import type { Services } from '../../services';
import { mutationMessage, parseAs, requestJson, toMessage } from '../convert';
import { idempotencyKeyOf } from '../context';

/** The project a request names, checked like REST's path. */
const projectRef = (req: { project: string; registry: string }) => ({
  ...parseAs(z.object({ project: pathName() }), { project: req.project }, 'param'),
  registry: req.registry === '' ? undefined : req.registry,
});

/** MemberService over gRPC: the member service layer, messages in and out. */
export function memberRpcs(services: Services): ServiceImpl<typeof MemberService> {
  const members = services.members;
  return {
    async getMembers(req) {
      return toMessage(ProjectMembershipSchema, await members.get(projectRef(req)));
    },
    async setMembers(req, ctx) {
      const ref = projectRef(req);
      // `members` is a message, so unset is told from empty (nobody): unset is REST's missing field, a 400.
      const body = parseAs(MembersPutSchema, { members: requestJson(SetMembersRequestSchema, req).members });
      return mutationMessage(await members.set(ref, body.members, idempotencyKeyOf(ctx)), MembershipUpdateSchema);
    },
    async syncMembers(req, ctx) {
      return mutationMessage(await members.sync(projectRef(req), idempotencyKeyOf(ctx)), MembershipChangesSchema);
    },
  };
}
