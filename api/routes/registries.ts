import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findLiveRemoteRegistry, listRemoteRegistries } from '../../db/queries/registries';
import { findTenant } from '../../db/queries/tenants';
import type { RemoteRegistryRef } from '../../lib/registries';
import type { SecretBox } from '../../lib/secrets';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import { remoteRegistryPingWorkflowId, remoteRegistryWorkflowId } from '../../lib/workflow-ids';
import { registryCreateWorkflow, registryCredentialsWorkflow, registryDeleteWorkflow, registryPingWorkflow, registryUpdateWorkflow } from '../../workflows';
import type { RemoteRegistryResult } from '../../workflows/registries';
import { actorOf, authOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursorProblem, notFoundProblem, problemBody, problemResponse } from '../problem';
import { managedRegistry } from '../registry';
import { createRouter } from '../router';
import { mutationResponse } from '../respond';
import { acceptedResponse, IdempotencyKeyHeader, json, jsonBody, NameParams, PageQuery, problem, queryFlag, RegistryQuery } from '../schemas/common';
import {
  CredentialsSchema,
  PingSchema,
  RemoteRegistryCreateSchema,
  RemoteRegistryPageSchema,
  RemoteRegistryPatchSchema,
  RemoteRegistrySchema,
  RemoteRegistryWithPingSchema,
} from '../schemas/registries';

const params = NameParams;
const query = RegistryQuery;
const tags = ['Remote registries'];
const headers = IdempotencyKeyHeader;
const withPing = { 200: json('Changed, and pinged again', RemoteRegistryWithPingSchema), 202: acceptedResponse, 400: problem('Invalid body'), 404: problem('No such remote registry') };

const list = createRoute({
  method: 'get',
  path: '/registries',
  tags,
  summary: "Remote registries (Harbor registry endpoints): the caller's tenants' and the shared ones",
  request: { query: PageQuery.merge(query) },
  responses: { 200: json('A page of remote registries', RemoteRegistryPageSchema) },
});
const create = createRoute({
  method: 'post',
  path: '/registries',
  tags,
  summary: 'Create a remote registry in Harbor; refused (409 naming url) when Harbor cannot reach it',
  request: { query, headers, body: jsonBody(RemoteRegistryCreateSchema) },
  responses: {
    201: json('Created and reachable', RemoteRegistryWithPingSchema),
    202: acceptedResponse,
    400: problem('Invalid body'),
    404: problem('No such tenant'),
    409: problem('A remote registry of that name exists, or Harbor cannot reach its url'),
  },
});
const getOne = createRoute({ method: 'get', path: '/registries/{name}', tags, summary: 'A remote registry', request: { params, query }, responses: { 200: json('The remote registry', RemoteRegistrySchema), 404: problem('No such remote registry') } });
const patch = createRoute({
  method: 'patch',
  path: '/registries/{name}',
  tags,
  summary: 'Change the URL, insecure flag or description; pinged again',
  request: { params, query, headers, body: jsonBody(RemoteRegistryPatchSchema) },
  responses: withPing,
});
const credentials = createRoute({
  method: 'put',
  path: '/registries/{name}/credentials',
  tags,
  summary: 'Replace the credential (write-only); pinged again',
  request: { params, query, headers, body: jsonBody(CredentialsSchema) },
  responses: withPing,
});
const remove = createRoute({
  method: 'delete',
  path: '/registries/{name}',
  tags,
  summary: 'Delete the endpoint in Harbor and archive it here; with force=true the replication rules using it first',
  request: { params, query: query.extend({ force: queryFlag().openapi({ description: "Delete the replication rules that use it first (their Harbor policies too)" }) }), headers },
  responses: { 200: json('Deleted', RemoteRegistrySchema), 202: acceptedResponse, 404: problem('No such remote registry'), 409: problem('Replication rules use it (ours: unless force=true)') },
});
const ping = createRoute({
  method: 'post',
  path: '/registries/{name}/ping',
  tags,
  summary: 'Harbor pings the remote registry now',
  request: { params, query, headers },
  responses: { 200: json('Whether Harbor reaches it', PingSchema), 202: acceptedResponse, 404: problem('No such remote registry') },
});

/** Remote registries: writes by workflows, reads from the catalogue; credentials sealed here, never shown. */
export function createRegistriesRouter(deps: { db: Db; mutations: MutationDeps; registries: string[]; secrets: SecretBox }) {
  const router = createRouter();
  const refOf = (name: string, requested: string | undefined): RemoteRegistryRef => ({ registry: managedRegistry(deps.registries, requested), name });
  const withPingOf = (r: RemoteRegistryResult) => ({ ...r.remoteRegistry, ping: r.ping });
  const run = <W extends Workflow>(c: Context, workflowId: string, kind: string, tenant: string | null | undefined, workflowFn: W, args: Parameters<W>) =>
    mutationResponse(c, deps.mutations, workflowFn, {
      workflowId,
      args,
      idempotencyKey: c.req.header('idempotency-key'),
      searchAttributes: [...(tenant ? [{ key: TenantName, value: tenant }] : []), { key: OperationKind, value: kind }],
    });
  /** The tenant of an existing remote registry, for the operation's search attributes (the middleware checked access). */
  const tenantOf = async (ref: RemoteRegistryRef) => (await findLiveRemoteRegistry(deps.db, ref.registry, ref.name))?.tenant;

  router.openapi(list, async (c) => {
    const q = c.req.valid('query');
    const registry = managedRegistry(deps.registries, q.registry);
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
    if (after === null) return invalidCursorProblem(c);
    const auth = authOf(c);
    const tenants = await auth.tenantsAllowed('registries.read');
    const shared = tenants.length > 0 || (await auth.can('registries.read', {}));
    return c.json(pageResponse(await listRemoteRegistries(deps.db, registry, { tenants, shared, after, limit: q.limit })), 200);
  });

  router.openapi(getOne, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const found = await findLiveRemoteRegistry(deps.db, ref.registry, ref.name);
    if (!found) return notFoundProblem(c, 'Remote registry not found', `no remote registry "${ref.name}" in ${ref.registry}`);
    return c.json(found, 200);
  });

  router.openapi(create, async (c) => {
    const { credential, tenant, ...body } = c.req.valid('json');
    const registry = managedRegistry(deps.registries, c.req.valid('query').registry);
    // A shared one is everyone's: only a caller allowed registries.write outside any tenant makes it.
    if (tenant === undefined && !(await authOf(c).can('registries.write', {}))) {
      return problemResponse(c, problemBody(403, 'forbidden', 'Forbidden', 'only a platform administrator creates a shared remote registry; name a tenant', { action: 'registries.write' }));
    }
    if (tenant !== undefined && !(await findTenant(deps.db, tenant))) return notFoundProblem(c, 'Tenant not found', `no tenant named "${tenant}"`);
    const spec = { registry, ...body, ...(tenant ? { tenant } : {}), ...(credential ? { credential: { accessKey: credential.access_key, sealedSecret: deps.secrets.seal(credential.access_secret) } } : {}) };
    const outcome = await run(c, remoteRegistryWorkflowId(registry, body.name), 'registry.create', tenant, registryCreateWorkflow, [{ spec, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(withPingOf(outcome.result), 201);
  });

  router.openapi(patch, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const outcome = await run(c, remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.update', await tenantOf(ref), registryUpdateWorkflow, [{ ref, patch: c.req.valid('json'), actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(withPingOf(outcome.result), 200);
  });

  router.openapi(credentials, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const body = c.req.valid('json');
    const credential = { accessKey: body.access_key, sealedSecret: deps.secrets.seal(body.access_secret) };
    const outcome = await run(c, remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.credentials', await tenantOf(ref), registryCredentialsWorkflow, [{ ref, credential, actor: actorOf(c) }]);
    if (!outcome.done) return outcome.response;
    return c.json(withPingOf(outcome.result), 200);
  });

  router.openapi(remove, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const { force } = c.req.valid('query');
    const outcome = await run(c, remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.delete', await tenantOf(ref), registryDeleteWorkflow, [{ ref, actor: actorOf(c), ...(force ? { force } : {}) }]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  router.openapi(ping, async (c) => {
    const ref = refOf(c.req.valid('param').name, c.req.valid('query').registry);
    const outcome = await run(c, remoteRegistryPingWorkflowId(ref.registry, ref.name), 'registry.ping', await tenantOf(ref), registryPingWorkflow, [ref]);
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });

  return router;
}
