import type { z } from '@hono/zod-openapi';
import type { Workflow, WorkflowResultType } from '@temporalio/common';
import type { Db } from '../../db/client';
import { findLiveProject, type ProjectRecord } from '../../db/queries/projects';
import { findLiveRemoteRegistry } from '../../db/queries/registries';
import { findLiveReplicationRule, findReplicationExecution, listReplicationExecutions, listReplicationRules, type ReplicationRuleRecord } from '../../db/queries/replications';
import type { ReplicationRuleRef, ReplicationRuleSpec } from '../../lib/replication';
import { OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';
import { registrySyncWorkflowId, replicationRuleWorkflowId, replicationRunWorkflowId } from '../../lib/workflow-ids';
import { registrySyncWorkflow, replicationRuleCreateWorkflow, replicationRuleDeleteWorkflow, replicationRuleUpdateWorkflow, replicationRunWorkflow } from '../../workflows';
import type { Actor } from '../../workflows/actor';
import type { MutationDeps } from '../operations';
import { decodeCursor, pageResponse } from '../pagination';
import { invalidCursor, problemBody, ProblemError, validationFailure } from '../problem';
import { managedRegistry } from '../registry';
import type { PageQuery } from '../schemas/common';
import type { ReplicationRuleCreateSchema, ReplicationRulePatchSchema } from '../schemas/replications';
import { mutate } from './mutation';

/** A project as a request names it: `registry` (the managed Harbor instance) as asked, the default when absent. */
export interface ReplicationProjectName {
  project: string;
  registry: string | undefined;
}
/** One of its replication rules. */
export interface ReplicationRuleName extends ReplicationProjectName {
  rule: string;
}

/** A project's replication rules and their executions, for every transport: writes by workflows, reads from the catalogue. */
export function createReplicationService(deps: { db: Db; mutations: MutationDeps; registries: string[] }) {
  const run = <W extends Workflow>(project: ProjectRecord, workflowId: string, kind: string, workflowFn: W, args: Parameters<W>, idempotencyKey: string | undefined) =>
    mutate(
      deps.mutations,
      workflowFn,
      {
        workflowId,
        args,
        idempotencyKey,
        searchAttributes: [
          { key: TenantName, value: project.tenantId },
          { key: ProjectName, value: project.name },
          { key: OperationKind, value: kind },
        ],
      },
      (result: WorkflowResultType<W>) => result,
    );
  /** The live project and, when named, its live rule; a 404 problem otherwise. */
  async function lookup(req: ReplicationProjectName): Promise<{ project: ProjectRecord; registry: string }>;
  async function lookup(req: ReplicationProjectName, rule: string): Promise<{ project: ProjectRecord; registry: string; rule: ReplicationRuleRecord }>;
  async function lookup(req: ReplicationProjectName, rule?: string) {
    const registry = managedRegistry(deps.registries, req.registry);
    const project = await findLiveProject(deps.db, registry, req.project);
    if (!project) throw new ProblemError(problemBody(404, 'not-found', 'Project not found', `no project "${req.project}" in ${registry}`));
    if (rule === undefined) return { project, registry };
    const found = await findLiveReplicationRule(deps.db, project.id, rule);
    if (!found) throw new ProblemError(problemBody(404, 'not-found', 'Replication rule not found', `project "${req.project}" has no replication rule "${rule}"`));
    return { project, registry, rule: found };
  }
  const refOf = (registry: string, req: ReplicationRuleName): ReplicationRuleRef => ({ registry, project: req.project, name: req.rule });

  return {
    async list(req: ReplicationProjectName, q: z.infer<typeof PageQuery>) {
      const found = await lookup(req);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      return pageResponse(await listReplicationRules(deps.db, found.project.id, { after, limit: q.limit }));
    },

    async create(req: ReplicationProjectName, body: z.infer<typeof ReplicationRuleCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const found = await lookup(req);
      const { registry: remoteRegistry, bandwidthKbps, ...fields } = body;
      await checkRemoteRegistry(deps.db, found.project, remoteRegistry, 'body.registry');
      const spec: ReplicationRuleSpec = { ...fields, registry: found.registry, project: req.project, remoteRegistry, speedKbps: bandwidthKbps };
      return run(found.project, replicationRuleWorkflowId(found.registry, req.project, fields.name), 'replication.create', replicationRuleCreateWorkflow, [{ spec, actor }], idempotencyKey);
    },

    async get(req: ReplicationRuleName) {
      return (await lookup(req, req.rule)).rule;
    },

    async update(req: ReplicationRuleName, body: z.infer<typeof ReplicationRulePatchSchema>, actor: Actor, idempotencyKey: string | undefined) {
      const found = await lookup(req, req.rule);
      const { bandwidthKbps, ...fields } = body;
      const ref = refOf(found.registry, req);
      const patch = { ...fields, ...(bandwidthKbps === undefined ? {} : { speedKbps: bandwidthKbps }) };
      return run(found.project, replicationRuleWorkflowId(ref.registry, ref.project, ref.name), 'replication.update', replicationRuleUpdateWorkflow, [{ ref, patch, actor }], idempotencyKey);
    },

    async remove(req: ReplicationRuleName, actor: Actor, idempotencyKey: string | undefined) {
      const found = await lookup(req, req.rule);
      const ref = refOf(found.registry, req);
      return run(found.project, replicationRuleWorkflowId(ref.registry, ref.project, ref.name), 'replication.delete', replicationRuleDeleteWorkflow, [{ ref, actor }], idempotencyKey);
    },

    /** Runs the rule now: Harbor starts an execution, followed to its end. */
    async execute(req: ReplicationRuleName, actor: Actor, idempotencyKey: string | undefined) {
      const found = await lookup(req, req.rule);
      const ref = refOf(found.registry, req);
      return run(found.project, replicationRunWorkflowId(ref.registry, ref.project, ref.name), 'replication.run', replicationRunWorkflow, [{ ref, actor }], idempotencyKey);
    },

    async executions(req: ReplicationRuleName, q: z.infer<typeof PageQuery>) {
      const found = await lookup(req, req.rule);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const before = after === undefined ? undefined : Number(after);
      if (after === null || (before !== undefined && !Number.isSafeInteger(before))) throw new ProblemError(invalidCursor());
      return pageResponse(await listReplicationExecutions(deps.db, found.rule.id, { before, limit: q.limit }));
    },

    async execution(req: ReplicationRuleName, id: string) {
      const found = await lookup(req, req.rule);
      const one = await findReplicationExecution(deps.db, found.rule.id, id);
      if (!one) throw new ProblemError(problemBody(404, 'not-found', 'Execution not found', `replication rule "${req.rule}" has no execution ${id}`));
      return one;
    },

    /** A pull rule's synchronization now (its Schedule runs the same workflow); the workflow checks the rule. */
    async sync(req: ReplicationRuleName, actor: Actor, idempotencyKey: string | undefined) {
      const { project, registry } = await lookup(req);
      const ref = refOf(registry, req);
      return run(project, registrySyncWorkflowId(registry, ref.project, ref.name), 'registry.sync', registrySyncWorkflow, [{ ref, actor }], idempotencyKey);
    },
  };
}
export type ReplicationService = ReturnType<typeof createReplicationService>;

/**
 * A 400 naming `field` when the project may not use the remote registry of that name: there is
 * none on the project's Harbor instance, or it is another tenant's.
 */
async function checkRemoteRegistry(db: Db, project: Pick<ProjectRecord, 'registry' | 'tenantId'>, name: string, field: string) {
  const remote = await findLiveRemoteRegistry(db, project.registry, name);
  if (remote && (remote.tenant === null || remote.tenant === project.tenantId)) return;
  const message = `no remote registry "${name}" in ${project.registry} that tenant "${project.tenantId}" may use (its own or a shared one)`;
  throw new ProblemError(validationFailure([{ field, message, code: 'invalid_value' }]));
}
