import type { HarborSchemas } from '../../activities/harbor';

type S = HarborSchemas;

export interface ProjectState {
  project: S['Project'];
  storageLimit: number;
  members: S['ProjectMemberEntity'][];
  webhookPolicies: S['WebhookPolicy'][];
}

/** What the emulator knows of an artifact beyond what the registry holds. */
export interface ArtifactState {
  id: number;
  repository: string;
  digest: string;
  pushTime: string;
  pullTime: string;
  /** Harbor's `extra_attrs`: a model's config, copied at push time (set on first read). */
  extraAttrs?: Record<string, unknown>;
  scanOverview?: S['ScanOverview'];
  labels: S['Label'][];
}

/** A tag immutability rule and the project it belongs to (Harbor keeps them per project). */
export type ImmutableRuleState = S['ImmutableRule'] & { id: number; projectId: number };

/** What Harbor's artifact trash and blob table tell GC of a deleted manifest: where it was linked and what it referenced. */
export interface TrashEntry {
  repository: string;
  digest: string;
  manifestSize: number;
  blobs: { digest: string; size: number }[];
  deletedAt: string;
  /** When the artifact was pushed: Harbor's GC leaves blobs younger than its time window alone. */
  pushedAt: string;
}

/** A retention execution as Harbor's API shows it, and who started it. */
export type RetentionExecutionState = S['RetentionExecution'] & { id: number; operator: string };

/** A retention task (one per repository) and its job log. */
export interface RetentionTaskState {
  task: S['RetentionExecutionTask'] & { id: number; execution_id: number };
  log: string[];
}

/** A GC execution: Harbor's history row, its parameters as a map, and its job log. */
export interface GcExecutionState {
  id: number;
  trigger: 'MANUAL' | 'SCHEDULE';
  status: 'Pending' | 'Running' | 'Success' | 'Error' | 'Stopped';
  parameters: Record<string, unknown>;
  creationTime: string;
  updateTime: string;
  log: string[];
}

export interface RepositoryState {
  id: number;
  name: string;
  projectId: number;
  description: string;
  creationTime: string;
  updateTime: string;
  pullCount: number;
}

/** A replication execution as Harbor's API shows it, and who started it (Harbor's `operator`, sent in its webhooks). */
export type ReplicationExecutionState = S['ReplicationExecution'] & { id: number; operator: string };

/** A replication task as Harbor's API shows it, with what its job keeps beside: the references it copies and its log. */
export interface ReplicationTaskState {
  task: S['ReplicationTask'];
  references: string[];
  log: string[];
}

/** Go's zero time: Harbor's pull time of what was never pulled. */
export const NEVER_PULLED = '0001-01-01T00:00:00.000Z';

/** A periodic GC schedule: Harbor's scheduler row (type, cron) and the job's parameters. */
export interface GcScheduleState {
  id: number;
  type: 'Hourly' | 'Daily' | 'Weekly' | 'Custom' | 'Schedule';
  cron: string;
  parameters: Record<string, unknown>;
  creationTime: string;
  updateTime: string;
}

/** The maps a snapshot keeps, by name. */
const SNAPSHOT_MAPS = [
  'generations',
  'projects',
  'repositories',
  'artifacts',
  'tagPushTimes',
  'robots',
  'registries',
  'replicationPolicies',
  'replicationExecutions',
  'replicationTasks',
  'retentions',
  'userGroups',
  'tagPullTimes',
  'immutableRules',
  'trash',
  'retentionExecutions',
  'retentionTasks',
  'gcExecutions',
] as const;

/** Harbor's state that is not in the OCI registry: in memory, or carried across runs by snapshots (the local stack). */
export class EmulatorState {
  private seq = 0;
  /** Bumped by every change to a repository's manifests or tags, so reads of it can be cached. */
  private readonly generations = new Map<string, number>();
  readonly projects = new Map<string, ProjectState>();
  readonly repositories = new Map<string, RepositoryState>();
  /** Keyed by `<repository>@<digest>`. */
  readonly artifacts = new Map<string, ArtifactState>();
  /** Tag → push time, keyed by `<repository>:<tag>`. */
  readonly tagPushTimes = new Map<string, string>();
  /** `<repository>:<tag>` removed through the API: distribution cannot delete a tag alone, Harbor can. */
  readonly deletedTags = new Set<string>();
  readonly robots = new Map<number, S['Robot'] & { projectId: number }>();
  readonly registries = new Map<number, S['Registry']>();
  readonly replicationPolicies = new Map<number, S['ReplicationPolicy']>();
  readonly replicationExecutions = new Map<number, ReplicationExecutionState>();
  readonly replicationTasks = new Map<number, ReplicationTaskState>();
  readonly retentions = new Map<number, S['RetentionPolicy']>();
  readonly userGroups = new Map<number, S['UserGroup']>();
  /** Tag → pull time, keyed by `<repository>:<tag>` (a pull by tag updates the tag's too). */
  readonly tagPullTimes = new Map<string, string>();
  readonly immutableRules = new Map<number, ImmutableRuleState>();
  /** Deleted manifests whose blobs GC has not swept yet, keyed by `<repository>@<digest>`. */
  readonly trash = new Map<string, TrashEntry>();
  readonly retentionExecutions = new Map<number, RetentionExecutionState>();
  readonly retentionTasks = new Map<number, RetentionTaskState>();
  readonly gcExecutions = new Map<number, GcExecutionState>();
  /** The GC schedule (`GET /system/gc/schedule`); absent: none. */
  gcSchedule: GcScheduleState | undefined;
  /** How far the emulator's clock is ahead of the wall clock (clock.ts), kept across restarts. */
  clockOffsetMs = 0;

  changed(repository: string): void {
    this.generations.set(repository, this.generation(repository) + 1);
  }

  generation(repository: string): number {
    return this.generations.get(repository) ?? 0;
  }

  nextId(): number {
    return ++this.seq;
  }

  projectByNameOrId(nameOrId: string, isName: boolean): ProjectState | undefined {
    if (isName || !/^\d+$/.test(nameOrId)) return this.projects.get(nameOrId);
    return [...this.projects.values()].find((p) => p.project.project_id === Number(nameOrId));
  }

  repository(fullName: string, projectId: number, now: string): RepositoryState {
    let repository = this.repositories.get(fullName);
    if (!repository) {
      repository = { id: this.nextId(), name: fullName, projectId, description: '', creationTime: now, updateTime: now, pullCount: 0 };
      this.repositories.set(fullName, repository);
    }
    return repository;
  }

  artifact(repository: string, digest: string, now: string): ArtifactState {
    const key = `${repository}@${digest}`;
    let artifact = this.artifacts.get(key);
    if (!artifact) {
      artifact = { id: this.nextId(), repository, digest, pushTime: now, pullTime: NEVER_PULLED, labels: [] };
      this.artifacts.set(key, artifact);
    }
    return artifact;
  }

  /** Retention and GC executions that were running when the emulator stopped end in error, as a lost job does. */
  failInterruptedJobs(now: string): void {
    for (const e of this.retentionExecutions.values()) if (e.status === 'Running') Object.assign(e, { status: 'Error', end_time: now });
    for (const t of this.retentionTasks.values()) if (t.task.status === 'Running' || t.task.status === 'Pending') t.task = { ...t.task, status: 'Error', status_code: 3, end_time: now };
    for (const e of this.gcExecutions.values()) {
      if (e.status !== 'Running') continue;
      e.status = 'Error';
      e.updateTime = now;
      e.log.push(`${now} [ERROR] [gc] interrupted: the emulator stopped while it ran`);
    }
  }

  /** Everything, as JSON-ready data (Maps as entry lists). */
  snapshot(): unknown {
    const maps = Object.fromEntries(SNAPSHOT_MAPS.map((name) => [name, [...(this[name] as Map<unknown, unknown>).entries()]]));
    return { seq: this.seq, deletedTags: [...this.deletedTags], gcSchedule: this.gcSchedule, clockOffsetMs: this.clockOffsetMs, ...maps };
  }

  /** Takes over a snapshot() of an earlier run. */
  restore(snapshot: Record<string, unknown>): void {
    this.seq = Number(snapshot.seq ?? 0);
    for (const tag of (snapshot.deletedTags as string[] | undefined) ?? []) this.deletedTags.add(tag);
    this.gcSchedule = snapshot.gcSchedule as GcScheduleState | undefined;
    this.clockOffsetMs = Number(snapshot.clockOffsetMs ?? 0);
    for (const name of SNAPSHOT_MAPS) {
      const map = this[name] as Map<unknown, unknown>;
      for (const [k, v] of (snapshot[name] as [unknown, unknown][] | undefined) ?? []) map.set(k, v);
    }
  }
}
