/** Types the API, workflows and activities share for replication rules, executions and locations. */

export const REPLICATION_DIRECTIONS = ['push', 'pull'] as const;
export type ReplicationDirection = (typeof REPLICATION_DIRECTIONS)[number];

export const REPLICATION_TRIGGERS = ['manual', 'event_based', 'scheduled'] as const;
export type ReplicationTrigger = (typeof REPLICATION_TRIGGERS)[number];

/** Harbor's execution statuses; every one but `InProgress` is final. */
export const EXECUTION_STATUSES = ['InProgress', 'Succeed', 'Failed', 'Stopped'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const isFinalExecutionStatus = (status: string) => status !== 'InProgress';

export type ExecutionPurpose = 'rule' | 'promotion' | 'sync';

export const LOCATION_STATUSES = ['present', 'replicating', 'failed', 'mismatch'] as const;
export type LocationStatus = (typeof LOCATION_STATUSES)[number];

/** What a rule selects, as Harbor's filters do: name and tag globs (`**`, `*`, `?`, `{a,b}`), a label. */
export interface ReplicationFilters {
  name?: string;
  tag?: string;
  label?: string;
}

/** An execution as Harbor last reported it, with its tasks. */
export interface ExecutionReport {
  harborExecutionId: number;
  harborPolicyId: number;
  status: string;
  statusText?: string;
  trigger?: string;
  total: number;
  succeed: number;
  failed: number;
  inProgress: number;
  stopped: number;
  startedAt?: string;
  endedAt?: string;
  tasks: ExecutionTask[];
}

export interface ExecutionTask {
  id: number;
  resourceType?: string;
  srcResource?: string;
  dstResource?: string;
  operation?: string;
  status: string;
  startedAt?: string;
  endedAt?: string;
}

/** A replication policy as the service asks Harbor for it, between a local project and a remote endpoint. */
export interface ReplicationPolicySpec {
  /** Harbor's policy name, unique on the instance. */
  name: string;
  description?: string;
  direction: ReplicationDirection;
  /** The managed Harbor instance (registry address). */
  registry: string;
  /** The endpoint's id in Harbor. */
  harborRegistryId: number;
  localProject: string;
  /** The remote side's namespace; absent: the local project's name. */
  remoteNamespace?: string;
  trigger: ReplicationTrigger;
  cron?: string;
  filters: ReplicationFilters;
  replicateDeletion: boolean;
  override: boolean;
  /** KB/s, -1 unlimited. */
  speedKbps: number;
  enabled: boolean;
}
