import type { z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findTenant, listTenants } from '../../db/queries/tenants';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import { tenantWorkflowId } from '../../lib/workflow-ids';
import { tenantUpsertWorkflow } from '../../workflows';
import type { AuthContext } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import type { TenantCreateSchema, TenantListQuery } from '../schemas/tenants';
import { mutate } from './mutation';

/** Tenants, for every transport: create-or-update as a workflow, reads from the catalogue. */
export function createTenantService(deps: { db: Db; mutations: MutationDeps }) {
  return {
    /** A tenant that existed is updated and answered as a 409 problem holding it (`tenant`). */
    create: (body: z.infer<typeof TenantCreateSchema>, idempotencyKey: string | undefined) =>
      mutate(
        deps.mutations,
        tenantUpsertWorkflow,
        {
          workflowId: tenantWorkflowId(body.name),
          args: [body],
          idempotencyKey,
          searchAttributes: [
            { key: TenantName, value: body.name },
            { key: OperationKind, value: 'tenant.upsert' },
          ],
        },
        ({ tenant, created }, operationId) => {
          if (created) return tenant;
          throw new ProblemError(problemBody(409, 'conflict', 'Tenant already exists', `tenant "${tenant.name}" existed; its data was updated`, { tenant }), {
            'X-Operation-Id': operationId,
          });
        },
      ),

    async list(auth: AuthContext, q: z.infer<typeof TenantListQuery>) {
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      // Tenant isolation: only the tenants the caller may read are listed, counted or paged through.
      const readable = await auth.tenantsAllowed('projects.read');
      if (readable.length === 0) return { items: [], nextCursor: null };
      return pageResponse(await listTenants(deps.db, { names: readable, namePrefix: q.namePrefix, after, limit: q.limit }));
    },

    async get(name: string) {
      const tenant = await findTenant(deps.db, name);
      if (!tenant) throw new ProblemError(problemBody(404, 'not-found', 'Tenant not found', `no tenant named "${name}"`));
      return tenant;
    },
  };
}
export type TenantService = ReturnType<typeof createTenantService>;
