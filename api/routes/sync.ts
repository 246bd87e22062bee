import { createRoute, z } from '@hono/zod-openapi';
import { actorOf, idempotencyKeyOf } from '../auth/context';
import { answerMutation } from '../respond';
import { createRouter } from '../router';
import { acceptedResponse, IdempotencyKeyHeader, json, NameParams, pathName, problem, RegistryQuery } from '../schemas/common';
import type { ReplicationService } from '../services/replications';

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

/** On-demand synchronization of a pull rule over REST: the replication service layer (api/services/replications.ts). */
export function createSyncRouter(deps: { replications: ReplicationService }) {
  const router = createRouter();
  router.openapi(sync, async (c) => {
    const { name, rule } = c.req.valid('param');
    const mutation = await deps.replications.sync({ project: name, rule, registry: c.req.valid('query').registry }, actorOf(c), idempotencyKeyOf(c));
    return answerMutation(c, mutation, (result) => c.json(result, 200));
  });
  return router;
}
