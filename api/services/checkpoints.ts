import type { z } from '@hono/zod-openapi';
import type { Workflow } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findLiveCheckpoint, listCheckpoints } from '../../db/queries/checkpoints';
import { findLiveVersion } from '../../db/queries/versions';
import type { VersionRef } from '../../lib/checkpoints';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { ModelName, OperationKind } from '../../lib/search-attributes';
import { checkpointWorkflowId } from '../../lib/workflow-ids';
import { checkpointCreateWorkflow, checkpointDeleteWorkflow, checkpointUpdateWorkflow } from '../../workflows';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import { managedRegistry } from '../registry';
import type { CheckpointCreateSchema, CheckpointPatchSchema } from '../schemas/checkpoints';
import type { PageQuery } from '../schemas/common';
import { mutate } from './mutation';
import { projectAttributes } from './project-attributes';

/** A model version as a request names it: `registry` as asked (the default instance when absent). */
export interface VersionRequest {
  registry: string | undefined;
  project: string;
  model: string;
  tag: string;
}

/** Checkpoints of model versions, for every transport: writes by workflows, reads from the catalogue. */
export function createCheckpointService(deps: { db: Db; mutations: MutationDeps; projects: ProjectLookup; registries: string[] }) {
  const refOf = (r: VersionRequest): VersionRef => ({ registry: managedRegistry(deps.registries, r.registry), project: r.project, model: r.model, tag: r.tag });
  const liveVersion = async (ref: VersionRef) => {
    const version = await findLiveVersion(deps.db, ref);
    if (!version) throw new ProblemError(problemBody(404, 'not-found', 'Version not found', `no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`));
    return version;
  };
  /** A checkpoint's workflow, keyed by the checkpoint: one change of it at a time. */
  const run = async <W extends Workflow>(ref: VersionRef, kind: string, workflowFn: W, name: string, args: Parameters<W>, idempotencyKey: string | undefined) =>
    mutate(
      deps.mutations,
      workflowFn,
      {
        workflowId: checkpointWorkflowId(ref.registry, ref.project, ref.model, ref.tag, name),
        args,
        idempotencyKey,
        searchAttributes: await projectAttributes(deps.projects, ref.registry, ref.project, [
          { key: ModelName, value: ref.model },
          { key: OperationKind, value: kind },
        ]),
      },
      (checkpoint) => checkpoint,
    );

  return {
    async list(request: VersionRequest, q: z.infer<typeof PageQuery>) {
      const ref = refOf(request);
      const version = await liveVersion(ref);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      return pageResponse(await listCheckpoints(deps.db, { modelId: version.modelId, tag: ref.tag }, { after, limit: q.limit }));
    },

    async get(request: VersionRequest, checkpoint: string) {
      const ref = refOf(request);
      const version = await findLiveVersion(deps.db, ref);
      const found = version && (await findLiveCheckpoint(deps.db, { modelId: version.modelId, tag: ref.tag }, checkpoint));
      if (!found) throw new ProblemError(problemBody(404, 'not-found', 'Checkpoint not found', `version "${ref.tag}" of "${ref.project}/${ref.model}" has no checkpoint "${checkpoint}"`));
      return found;
    },

    create(request: VersionRequest, body: z.infer<typeof CheckpointCreateSchema>, idempotencyKey: string | undefined) {
      const ref = refOf(request);
      return run(ref, 'checkpoint.create', checkpointCreateWorkflow, body.name, [ref, body], idempotencyKey);
    },

    update(request: VersionRequest, checkpoint: string, patch: z.infer<typeof CheckpointPatchSchema>, idempotencyKey: string | undefined) {
      const ref = refOf(request);
      return run(ref, 'checkpoint.update', checkpointUpdateWorkflow, checkpoint, [ref, checkpoint, patch], idempotencyKey);
    },

    /** Archives the record; the files stay where the URI points. */
    remove(request: VersionRequest, checkpoint: string, idempotencyKey: string | undefined) {
      const ref = refOf(request);
      return run(ref, 'checkpoint.delete', checkpointDeleteWorkflow, checkpoint, [ref, checkpoint], idempotencyKey);
    },
  };
}
export type CheckpointService = ReturnType<typeof createCheckpointService>;
