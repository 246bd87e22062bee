import type { z } from '@hono/zod-openapi';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { Db } from '../../db/client';
import { listRemoteModels } from '../../db/queries/locations';
import { findLiveRemoteRegistry, listRemoteRegistries } from '../../db/queries/registries';
import { findTenant } from '../../db/queries/tenants';
import type { RemoteRegistryRef } from '../../lib/registries';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import type { SecretBox } from '../../lib/secrets';
import { remoteRegistryPingWorkflowId, remoteRegistryWorkflowId } from '../../lib/workflow-ids';
import { registryCreateWorkflow, registryCredentialsWorkflow, registryDeleteWorkflow, registryPingWorkflow, registryUpdateWorkflow } from '../../workflows';
import type { RemoteRegistryResult } from '../../workflows/registries';
import type { Actor } from '../../workflows/actor';
import type { AuthContext } from '../auth/context';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { PageQuery } from '../schemas/common';
import type { CredentialsSchema, RemoteRegistryCreateSchema, RemoteRegistryPatchSchema } from '../schemas/registries';
import { mutate } from './mutation';

/** A remote registry as a request names it: `registry` (the managed Harbor instance) as asked, the default when absent. */
export interface RemoteRegistryName {
  name: string;
  registry: string | undefined;
}

/** Remote registries (Harbor registry endpoints), for every transport: writes by workflows, reads from the catalogue; credentials sealed here, never shown. */
export function createRegistryService(deps: { db: Db; mutations: MutationDeps; registries: string[]; secrets: SecretBox }) {
  const refOf = (req: RemoteRegistryName): RemoteRegistryRef => ({ registry: managedRegistry(deps.registries, req.registry), name: req.name });
  const withPingOf = (r: RemoteRegistryResult) => ({ ...r.remoteRegistry, ping: r.ping });
  const run = <W extends Workflow, T>(workflowId: string, kind: string, tenant: string | null | undefined, workflowFn: W, args: Parameters<W>, idempotencyKey: string | undefined, answer: (result: WorkflowResultType<W>) => T) =>
    mutate(
      deps.mutations,
      workflowFn,
      { workflowId, args, idempotencyKey, searchAttributes: [...(tenant ? [{ key: TenantName, value: tenant }] : []), { key: OperationKind, value: kind }] },
      answer,
    );
  /** The tenant of an existing remote registry, for the operation's search attributes (the authorization checked access). */
  const tenantOf = async (ref: RemoteRegistryRef) => (await findLiveRemoteRegistry(deps.db, ref.registry, ref.name))?.tenant;

  async function get(req: RemoteRegistryName) {
    const ref = refOf(req);
    const found = await findLiveRemoteRegistry(deps.db, ref.registry, ref.name);
    if (!found) throw new ProblemError(problemBody(404, 'not-found', 'Remote registry not found', `no remote registry "${ref.name}" in ${ref.registry}`));
    return found;
  }

  return {
    async list(auth: AuthContext, q: z.infer<typeof PageQuery> & { registry?: string }) {
      const registry = managedRegistry(deps.registries, q.registry);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      const tenants = await auth.tenantsAllowed('registries.read');
      const shared = tenants.length > 0 || (await auth.can('registries.read', {}));
      return pageResponse(await listRemoteRegistries(deps.db, registry, { tenants, shared, after, limit: q.limit }));
    },

    get,

    async create(auth: AuthContext, requested: string | undefined, body: z.infer<typeof RemoteRegistryCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const { credential, tenant, ...fields } = body;
      const registry = managedRegistry(deps.registries, requested);
      // A shared one is everyone's: only a caller allowed registries.write outside any tenant makes it.
      if (tenant === undefined && !(await auth.can('registries.write', {}))) {
        throw new ProblemError(problemBody(403, 'forbidden', 'Forbidden', 'only a platform administrator creates a shared remote registry; name a tenant', { action: 'registries.write' }));
      }
      if (tenant !== undefined && !(await findTenant(deps.db, tenant))) throw new ProblemError(problemBody(404, 'not-found', 'Tenant not found', `no tenant named "${tenant}"`));
      const spec = { registry, ...fields, ...(tenant ? { tenant } : {}), ...(credential ? { credential: { accessKey: credential.access_key, sealedSecret: deps.secrets.seal(credential.access_secret) } } : {}) };
      return run(remoteRegistryWorkflowId(registry, fields.name), 'registry.create', tenant, registryCreateWorkflow, [{ spec, actor }], idempotencyKey, withPingOf);
    },

    async update(req: RemoteRegistryName, patch: z.infer<typeof RemoteRegistryPatchSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      return run(remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.update', await tenantOf(ref), registryUpdateWorkflow, [{ ref, patch, actor }], idempotencyKey, withPingOf);
    },

    async setCredentials(req: RemoteRegistryName, body: z.infer<typeof CredentialsSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      const credential = { accessKey: body.access_key, sealedSecret: deps.secrets.seal(body.access_secret) };
      return run(remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.credentials', await tenantOf(ref), registryCredentialsWorkflow, [{ ref, credential, actor }], idempotencyKey, withPingOf);
    },

    async remove(req: RemoteRegistryName, force: boolean, actor: Actor, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      return run(remoteRegistryWorkflowId(ref.registry, ref.name), 'registry.delete', await tenantOf(ref), registryDeleteWorkflow, [{ ref, actor, ...(force ? { force } : {}) }], idempotencyKey, (r) => r);
    },

    /** The model versions on it (promoted or found there), of the projects the caller may read. */
    async models(auth: AuthContext, req: RemoteRegistryName, q: z.infer<typeof PageQuery>) {
      const remote = await get(req);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      const tenants = await auth.tenantsAllowed('models.read');
      return pageResponse(await listRemoteModels(deps.db, remote.id, { tenants, after, limit: q.limit }));
    },

    async ping(req: RemoteRegistryName, idempotencyKey: string | undefined) {
      const ref = refOf(req);
      return run(remoteRegistryPingWorkflowId(ref.registry, ref.name), 'registry.ping', await tenantOf(ref), registryPingWorkflow, [ref], idempotencyKey, (r) => r);
    },
  };
}
export type RegistryService = ReturnType<typeof createRegistryService>;
