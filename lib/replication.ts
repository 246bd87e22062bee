/** Types the API, workflows and activities share for replication rules, executions and locations. */

export const REPLICATION_DIRECTIONS = ['push', 'pull'] as const;
export type ReplicationDirection = (typeof REPLICATION_DIRECTIONS)[number];

export const REPLICATION_TRIGGERS = ['manual', 'event_based', 'scheduled'] as const;
export type ReplicationTrigger = (typeof REPLICATION_TRIGGERS)[number];

/** Harbor's execution statuses; every one but `InProgress` is final. */
export const EXECUTION_STATUSES = ['InProgress', 'Succeed', 'Failed', 'Stopped'] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];
export const isFinalExecutionStatus = (status: string) => status !== 'InProgress';

/**
 * Harbor's job service runs a failed replication job again (`MaxFails` 3, gocraft/work's back-off:
 * 16–76 s, then 31–121 s), and the execution goes back from `Failed` to `InProgress` meanwhile:
 * a `Failed` execution is only settled once it has stayed so this long.
 */
export const JOB_RETRY_WINDOW_MS = 150_000;

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

/** What a rule and its Harbor policy both say: when it runs, what it selects, how it copies. */
export interface ReplicationSettings {
  trigger: ReplicationTrigger;
  cron?: string;
  filters: ReplicationFilters;
  replicateDeletion: boolean;
  override: boolean;
  /** KB/s, -1 unlimited. */
  speedKbps: number;
  enabled: boolean;
}

/** A replication policy as the service asks Harbor for it, between a local project and a remote endpoint. */
export interface ReplicationPolicySpec extends ReplicationSettings {
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
}

/** A rule by name in a project of a managed Harbor instance. */
export interface ReplicationRuleRef {
  registry: string;
  project: string;
  name: string;
}

/** A rule as the API asks for it: the remote side named by the remote registry's name. */
export interface ReplicationRuleSpec extends ReplicationRuleRef, ReplicationSettings {
  direction: ReplicationDirection;
  /** A remote registry of the project's tenant, or a shared one, on the same Harbor instance. */
  remoteRegistry: string;
  remoteNamespace?: string;
  description?: string;
}

/** What PATCH may change; the remote registry and the direction stay (a new rule is a new policy). */
export type ReplicationRulePatch = Partial<Pick<ReplicationRuleSpec, 'remoteNamespace' | 'trigger' | 'cron' | 'filters' | 'replicateDeletion' | 'override' | 'speedKbps' | 'enabled' | 'description'>>;

/** A rule's name: no `.`, so that `<project>.<rule>` names one policy only. */
export const RULE_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** FNV-1a, 32 bits, hex: a short deterministic digest for names that would be too long (no Node built-ins: workflows use it). */
function fnv1a(s: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * The Harbor policy of a rule: `<project>.<rule>`, unique on the instance since a project's name
 * is and a rule's holds no dot; past Harbor's 255 characters the project part is cut and a digest
 * of the whole keeps it unique.
 */
export function replicationPolicyName(project: string, rule: string): string {
  const full = `${project}.${rule}`;
  if (full.length <= 255) return full;
  const digest = fnv1a(full);
  return `${project.slice(0, 255 - rule.length - digest.length - 2)}~${digest}.${rule}`;
}

const CRON_FIELDS = [
  { name: 'seconds', min: 0, max: 59 },
  { name: 'minutes', min: 0, max: 59 },
  { name: 'hours', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'] },
  { name: 'day of week', min: 0, max: 6, names: ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'] },
] as const;

/**
 * Why a cron expression is not Harbor's six-field one (seconds first, as its robfig/cron parser
 * takes them: `*`, `?`, values, `a-b` ranges, `/step`, `,` lists, month and weekday names);
 * undefined when it is.
 */
export function cronProblem(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) return `must have 6 fields (seconds minutes hours day-of-month month day-of-week), not ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    const spec = CRON_FIELDS[i]!;
    const names: readonly string[] = 'names' in spec ? spec.names : [];
    const value = (v: string) => {
      const named = names.indexOf(v.toUpperCase());
      if (named >= 0) return named + spec.min;
      return /^\d{1,2}$/.test(v) ? Number(v) : NaN;
    };
    for (const part of field.split(',')) {
      const m = /^(\*|\?|[0-9A-Za-z]+(?:-[0-9A-Za-z]+)?)(?:\/(\d{1,2}))?$/.exec(part);
      const bad = `${spec.name} "${field}" is not a value, range, list or step between ${spec.min} and ${spec.max}`;
      if (!m) return bad;
      if ((m[1] === '?' && i !== 3 && i !== 5) || (m[2] !== undefined && Number(m[2]) < 1)) return bad;
      if (m[1] === '*' || m[1] === '?') continue;
      const [from, to = from] = m[1]!.split('-').map(value) as [number, number?];
      if (!(from >= spec.min && to! <= spec.max && from <= to!)) return bad;
    }
  }
  return undefined;
}

/**
 * The signal that tells an execution's follower to read Harbor now (a webhook, the poller); a
 * `watcher` (a promotion or sync waiting for its one-off execution) is signalled once it settles.
 */
export const REPLICATION_REFRESH_SIGNAL = 'refresh';
export interface RefreshRequest {
  watcher?: string;
}

/** One Harbor execution to follow. */
export interface ExecutionRef {
  registry: string;
  harborExecutionId: number;
}

/** An execution to follow, and the workflow to tell when it settles. */
export interface FollowRequest extends ExecutionRef, RefreshRequest {
  /** A final status already announced (the row's, of a Failed execution Harbor may retry): a follower it starts does not announce it again. */
  announced?: string;
}

/**
 * Whether a name matches one of Harbor's filter globs (doublestar): `**` any run of characters,
 * `*` any run without `/`, `?` one character but `/`, `{a,b}` alternatives, `[…]` a class.
 */
export function globMatches(pattern: string, value: string): boolean {
  let source = '';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*' && pattern[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else if (ch === '{') {
      source += '(?:';
      depth++;
    } else if (ch === '}' && depth > 0) {
      source += ')';
      depth--;
    } else if (ch === ',' && depth > 0) source += '|';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) source += '\\[';
      else {
        source += `[${pattern.slice(i + 1, end).replace(/^!/, '^').replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else source += ch.replace(/[.+^$()|\\\]]/g, '\\$&');
  }
  if (depth > 0) return false;
  return new RegExp(`^${source}$`).test(value);
}

/** A version on a remote registry, as a sync reads it. */
export interface RemoteVersion {
  /** `<namespace>/<model>`. */
  repository: string;
  model: string;
  tag: string;
  digest: string;
}

/** What a sync of a pull rule found and did. */
export interface SyncResult {
  rule: string;
  project: string;
  remoteRegistry: string;
  /** Absent here, pulled by Harbor and now in the catalogue. */
  pulled: { model: string; tag: string; digest: string }[];
  /** Here with the same digest already. */
  skipped: { model: string; tag: string; digest: string }[];
  /** The same tag with another digest on each side: reported, left alone unless the rule overrides. */
  conflicts: { model: string; tag: string; localDigest: string; remoteDigest: string }[];
  /** Harbor's execution of the one-off pull policy, when one ran. */
  harborExecutionId: number | null;
}
