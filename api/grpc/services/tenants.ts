import type { ServiceImpl } from '@connectrpc/connect';
import { CreateTenantRequestSchema, ListTenantsRequestSchema, ListTenantsResponseSchema, TenantSchema, type TenantService } from '../../../gen/modelregistry/v1/tenants_pb';
import { create } from '@bufbuild/protobuf';
import { ProblemError } from '../../problem';
import { NameParams } from '../../schemas/common';
import { TenantCreateSchema, TenantListQuery } from '../../schemas/tenants';
import type { Services } from '../../services';
import { mutationMessage, nextPageToken, parseAs, requestJson, requestQuery, toMessage } from '../convert';
import { authOf, idempotencyKeyOf } from '../context';
import { problemError } from '../errors';

/** TenantService over gRPC: the tenant service layer, messages in and out. */
export function tenantRpcs(services: Services): ServiceImpl<typeof TenantService> {
  return {
    async createTenant(req, ctx) {
      const body = parseAs(TenantCreateSchema, requestJson(CreateTenantRequestSchema, req));
      try {
        return mutationMessage(await services.tenants.create(body, idempotencyKeyOf(ctx)), TenantSchema);
      } catch (err) {
        // REST's 409 holds the updated tenant: here ALREADY_EXISTS with the Tenant in the details.
        if (err instanceof ProblemError && err.problem.tenant) {
          throw problemError(err.problem, CreateTenantRequestSchema, err.headers, [{ desc: TenantSchema, value: toMessage(TenantSchema, err.problem.tenant) }]);
        }
        throw err;
      }
    },
    async getTenant(req) {
      const { name } = parseAs(NameParams, { name: req.name }, 'param');
      return toMessage(TenantSchema, await services.tenants.get(name));
    },
    async listTenants(req, ctx) {
      const page = await services.tenants.list(authOf(ctx), parseAs(TenantListQuery, requestQuery(ListTenantsRequestSchema, req), 'query'));
      return create(ListTenantsResponseSchema, { tenants: page.items.map((t) => toMessage(TenantSchema, t)), nextPageToken: nextPageToken(page) });
    },
  };
}
