import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findLivePullToken, listPullTokens, type PullTokenRecord } from '../../db/queries/pull-tokens';
import { findTenant } from '../../db/queries/tenants';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import type { SecretBox } from '../../lib/secrets';
import { pullTokenWorkflowId } from '../../lib/workflow-ids';
import { pullTokenCreateWorkflow, pullTokenRevokeWorkflow } from '../../workflows';
import type { Actor } from '../../workflows/actor';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import type { PageQuery } from '../schemas/common';
import type { PullTokenCreateSchema } from '../schemas/pull-tokens';
import { mutate } from './mutation';

/** A pull token of a tenant, as a request names it. */
export interface PullTokenRef {
  tenant: string;
  pullToken: string;
}

const notFound = (title: string, detail: string) => new ProblemError(problemBody(404, 'not-found', title, detail));

/** A tenant's pull tokens, for every transport: writes by workflows, the token only in the answer of create. */
export function createPullTokenService(deps: { db: Db; mutations: MutationDeps; secrets: SecretBox }) {
  const attributes = (tenant: string, kind: string) => [
    { key: TenantName, value: tenant },
    { key: OperationKind, value: kind },
  ];
  const reveal = (result: { pullToken: PullTokenRecord; sealedSecret: string }) => ({ ...result.pullToken, token: deps.secrets.open(result.sealedSecret) });

  return {
    async list(tenant: string, q: z.infer<typeof PageQuery>) {
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      return pageResponse(await listPullTokens(deps.db, tenant, { after, limit: q.limit }));
    },

    async get(ref: PullTokenRef) {
      const found = await findLivePullToken(deps.db, ref.tenant, ref.pullToken);
      if (!found) throw notFound('Pull token not found', `no pull token "${ref.pullToken}" in tenant ${ref.tenant}`);
      return found;
    },

    async create(tenant: string, body: z.infer<typeof PullTokenCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      if (!(await findTenant(deps.db, tenant))) throw notFound('Tenant not found', `no tenant named "${tenant}"`);
      return mutate(
        deps.mutations,
        pullTokenCreateWorkflow,
        { workflowId: pullTokenWorkflowId(tenant, body.name), args: [{ spec: { tenant, ...body }, actor }], idempotencyKey, searchAttributes: attributes(tenant, 'pull-token.create') },
        reveal,
      );
    },

    revoke(ref: PullTokenRef, actor: Actor, idempotencyKey: string | undefined) {
      const { tenant, pullToken: name } = ref;
      return mutate(
        deps.mutations,
        pullTokenRevokeWorkflow,
        { workflowId: pullTokenWorkflowId(tenant, name), args: [{ ref: { tenant, name }, actor }], idempotencyKey, searchAttributes: attributes(tenant, 'pull-token.revoke') },
        (revoked) => revoked,
      );
    },
  };
}
export type PullTokenService = ReturnType<typeof createPullTokenService>;
