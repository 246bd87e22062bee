import type { ExecutionReport, ReplicationPolicySpec } from '../../lib/replication';
import type { HarborReplicationExecution, HarborReplicationPolicy } from './client';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';
import { createdDuringThisActivity, createdSince, createOrAdopt } from './provenance';

/**
 * Harbor's body for a policy. Harbor matches the name filter against the source repository's full
 * name, so the project (push) or remote namespace (pull) leads it; the destination namespace
 * replaces one level (`dest_namespace_replace_count: 1`): `proj/model` → `<namespace>/model`.
 */
export function harborPolicyBody(spec: ReplicationPolicySpec): HarborReplicationPolicy {
  const remoteNamespace = spec.remoteNamespace ?? spec.localProject;
  const push = spec.direction === 'push';
  const sourceNamespace = push ? spec.localProject : remoteNamespace;
  const filters: NonNullable<HarborReplicationPolicy['filters']> = [{ type: 'name', value: `${sourceNamespace}/${spec.filters.name ?? '**'}` }];
  if (spec.filters.tag) filters.push({ type: 'tag', value: spec.filters.tag, decoration: 'matches' });
  if (spec.filters.label) filters.push({ type: 'label', value: [spec.filters.label], decoration: 'matches' });
  return {
    name: spec.name,
    description: spec.description ?? '',
    ...(push ? { dest_registry: { id: spec.harborRegistryId } } : { src_registry: { id: spec.harborRegistryId } }),
    dest_namespace: push ? remoteNamespace : spec.localProject,
    dest_namespace_replace_count: 1,
    trigger: { type: spec.trigger, trigger_settings: { cron: spec.trigger === 'scheduled' ? (spec.cron ?? '') : '' } },
    filters,
    // Harbor v2.15's handler reads the deprecated `deletion`; `replicate_deletion` is what it answers.
    replicate_deletion: spec.replicateDeletion,
    deletion: spec.replicateDeletion,
    override: spec.override,
    speed: spec.speedKbps,
    enabled: spec.enabled,
  };
}

/** Harbor replication policies and executions: what rules, promotions and syncs start and watch. */
/** How many of a policy's newest executions a REPLICATION webhook reads. */
const RECENT_EXECUTIONS = 25;

export function createHarborReplicationActivities(deps: { harbor: HarborInstances }) {
  const harbor = (registry: string) => deps.harbor.get(registry);

  return {
    /** Creates the policy; one of that name Harbor created while this activity ran is an earlier attempt's. */
    async createHarborReplicationPolicy(spec: ReplicationPolicySpec): Promise<number> {
      const client = harbor(spec.registry);
      return createOrAdopt(
        () => client.replication.createPolicy(harborPolicyBody(spec)),
        async () => {
          const existing = (await client.replication.listPolicies(spec.name)).find((p) => p.name === spec.name);
          return existing?.id !== undefined && createdDuringThisActivity(existing.creation_time) ? existing.id : undefined;
        },
        `Harbor ${spec.registry} already has a replication policy "${spec.name}"`,
      );
    },

    async updateHarborReplicationPolicy(id: number, spec: ReplicationPolicySpec): Promise<void> {
      await harbor(spec.registry).replication.updatePolicy(id, harborPolicyBody(spec));
    },

    /** Already gone is fine. */
    async deleteHarborReplicationPolicy(registry: string, id: number): Promise<void> {
      try {
        await harbor(registry).replication.deletePolicy(id);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /** A compensation: deletes the policy of this name only when Harbor created it since `createdSinceMs`. */
    async deleteHarborReplicationPolicyNamed(registry: string, name: string, createdSinceMs: number): Promise<void> {
      const existing = (await harbor(registry).replication.listPolicies(name)).find((p) => p.name === name);
      if (existing?.id === undefined || !createdSince(existing.creation_time, createdSinceMs)) return;
      await harbor(registry).replication.deletePolicy(existing.id);
    },

    /**
     * Starts an execution of the policy now; its id. With `once` (a one-off policy, this caller's
     * alone), an execution the policy already has is the one an earlier attempt started before its
     * answer was lost (a worker killed meanwhile): that one is returned rather than a second copy.
     */
    async startHarborReplication(registry: string, policyId: number, opts: { once?: boolean } = {}): Promise<number> {
      const client = harbor(registry);
      if (opts.once) {
        const [started] = await client.replication.listRecentExecutions(policyId, 1);
        if (started?.id !== undefined) return started.id;
      }
      return client.replication.startExecution(policyId);
    },

    /**
     * A policy's newest executions (their tasks not read): to learn of runs its triggers started.
     * One page per webhook, however long the policy's history: more runs than that between two of
     * its webhooks are not expected, and the ones already known are skipped by id anyway.
     */
    async listHarborReplicationExecutions(registry: string, policyId: number): Promise<ExecutionReport[]> {
      const executions = await harbor(registry).replication.listRecentExecutions(policyId, RECENT_EXECUTIONS);
      return executions.filter((e) => e.id !== undefined).map((e) => ({ ...reportOf(e.id!, e), tasks: [] }));
    },

    /** The execution and its tasks as Harbor reports them now. */
    async readHarborReplication(registry: string, executionId: number): Promise<ExecutionReport> {
      const client = harbor(registry);
      const [e, tasks] = await Promise.all([client.replication.getExecution(executionId), client.replication.listTasks(executionId)]);
      return {
        ...reportOf(executionId, e),
        tasks: tasks.map((t) => ({
          id: t.id ?? 0,
          resourceType: t.resource_type,
          srcResource: t.src_resource,
          dstResource: t.dst_resource,
          operation: t.operation,
          status: t.status ?? 'Pending',
          startedAt: t.start_time,
          endedAt: endTime(t.end_time),
        })),
      };
    },
  };
}

/** Harbor answers Go's zero time (`0001-01-01T00:00:00Z`) for an end that has not come. */
const endTime = (t: string | undefined) => (t && !t.startsWith('0001-') ? t : undefined);

/** Harbor's execution as the service's report, without tasks. */
function reportOf(executionId: number, e: HarborReplicationExecution | undefined): Omit<ExecutionReport, 'tasks'> {
  return {
    harborExecutionId: executionId,
    harborPolicyId: e?.policy_id ?? 0,
    status: e?.status ?? 'InProgress',
    statusText: e?.status_text || undefined,
    trigger: e?.trigger,
    total: e?.total ?? 0,
    succeed: e?.succeed ?? 0,
    failed: e?.failed ?? 0,
    inProgress: e?.in_progress ?? 0,
    stopped: e?.stopped ?? 0,
    startedAt: e?.start_time,
    endedAt: endTime(e?.end_time),
  };
}
