import { createRoute, z } from '@hono/zod-openapi';
import type { Db } from '../../db/client';
import { findLiveProject } from '../../db/queries/projects';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { registrySyncWorkflowId } from '../../lib/workflow-ids';
import { registrySyncWorkflow } from '../../workflows';
import { actorOf } from '../auth/context';
import type { MutationDeps } from '../operations';
import { notFoundProblem } from '../problem';
import { managedRegistry } from '../registry';
import { mutationResponse } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, NameParams, pathName, problem, RegistryQuery } from '../schemas/common';

const version = z.object({ model: z.string(), tag: z.string(), digest: z.string() });
const SyncResultSchema = z
  .object({
    rule: z.string(),
    project: z.string(),
    remoteRegistry: z.string(),
    pulled: z.array(version).openapi({ description: 'Absent here: pulled by Harbor and imported into the catalogue' }),
    skipped: z.array(version).openapi({ description: 'Here with the same digest already' }),
    conflicts: z
      .array(z.object({ model: z.string(), tag: z.string(), localDigest: z.string(), remoteDigest: z.string() }))
      .openapi({ description: 'The same tag with another digest on each side: reported as `mismatch` locations, left alone unless the rule overrides' }),
    harborExecutionId: z.number().int().nullable(),
  })
  .openapi('SyncResult');

const sync = createRoute({
  method: 'post',
  path: '/projects/{name}/replications/{rule}/sync',
  tags: ['Replication rules'],
  summary: "Synchronize now from a pull rule's remote registry: pull the versions absent here, report conflicts",
  request: { params: NameParams.extend({ rule: pathName() }), query: RegistryQuery, headers: IdempotencyKeyHeader },
  responses: {
    200: json('What was pulled, skipped and in conflict', SyncResultSchema),
    202: acceptedResponse,
    404: problem('No such project or replication rule'),
    409: problem('Not a pull rule, or a sync of it is running'),
    502: problem('Reading the remote, the replication or the import failed (`failedStep`)'),
  },
});

/** On-demand synchronization of a pull rule (its Schedule runs the same workflow). */
export function createSyncRouter(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const router = createRouter();
  router.openapi(sync, async (c) => {
    const { name, rule } = c.req.valid('param');
    const registry = managedRegistry(deps.registries, c.req.valid('query').registry);
    const project = await findLiveProject(deps.db, registry, name);
    if (!project) return notFoundProblem(c, 'Project not found', `no project "${name}" in ${registry}`);
    const outcome = await mutationResponse(c, deps.mutations, registrySyncWorkflow, {
      workflowId: registrySyncWorkflowId(registry, name, rule),
      args: [{ ref: { registry, project: name, name: rule }, actor: actorOf(c) }],
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      searchAttributes: [
        { key: TenantName, value: project.tenantId },
        { key: ProjectName, value: name },
        { key: OperationKind, value: 'registry.sync' },
      ],
    });
    if (!outcome.done) return outcome.response;
    return c.json(outcome.result, 200);
  });
  return router;
}
