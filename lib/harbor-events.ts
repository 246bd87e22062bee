import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Harbor's CloudEvents type names → its Default type names (Harbor v2.15 notifier). */
const FROM_CLOUDEVENTS: Record<string, string> = {
  'harbor.artifact.pushed': 'PUSH_ARTIFACT',
  'harbor.artifact.pulled': 'PULL_ARTIFACT',
  'harbor.artifact.deleted': 'DELETE_ARTIFACT',
  'harbor.scan.completed': 'SCANNING_COMPLETED',
  'harbor.scan.failed': 'SCANNING_FAILED',
  'harbor.scan.stopped': 'SCANNING_STOPPED',
  'harbor.quota.exceeded': 'QUOTA_EXCEED',
  'harbor.quota.warned': 'QUOTA_WARNING',
  'harbor.replication.status.changed': 'REPLICATION',
  'harbor.tag_retention.finished': 'TAG_RETENTION',
};
export const KNOWN_TYPES = new Set(Object.values(FROM_CLOUDEVENTS));

const Resource = z.looseObject({ digest: z.string().optional(), tag: z.string().optional(), resource_url: z.string().optional(), scan_overview: z.record(z.string(), z.unknown()).optional() });
const EventData = z.looseObject({
  resources: z.array(Resource).nullish(),
  repository: z.looseObject({ name: z.string(), namespace: z.string(), repo_full_name: z.string().optional(), date_created: z.number().optional() }).nullish(),
});
const DefaultPayload = z.object({ type: z.string().min(1), occur_at: z.number(), operator: z.string().optional(), event_data: EventData });
const CloudEventPayload = z.object({
  specversion: z.literal('1.0'),
  id: z.string().min(1),
  type: z.string().min(1),
  time: z.string().optional(),
  operator: z.string().optional(),
  data: EventData,
});

export interface HarborEvent {
  format: 'Default' | 'CloudEvents';
  /** Default type name (`PUSH_ARTIFACT`, …), whatever the format. */
  type: string;
  known: boolean;
  /** Seconds since the epoch, as Harbor's `occur_at`. */
  occurAt: number;
  operator: string | null;
  /** Project name: the repository's, a replication's local side, or a retention's project; null when none. */
  namespace: string | null;
  /** Repository name inside the project (the model). */
  repository: string | null;
  resources: { digest: string | null; tag: string | null; scanOverview: Record<string, unknown> | null }[];
  /** Same event, same key: derived from content because Harbor's Default format has no id and its retries repeat it. */
  dedupeKey: string;
}

const record = (v: unknown): Record<string, unknown> | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The project of an event without a repository. Harbor's replication payload names both sides
 * (`src_resource`, `dest_resource`) and fills the namespaces crosswise: the remote side (with a
 * `registry_name`) carries the task's source namespace, the local side its destination's
 * (src/controller/event/handler/webhook/artifact/replication.go). So the project, the local end of
 * the copy, is `dest_resource`'s namespace either way: a pull's local destination, a push's remote
 * side holding the local source. A retention names its project.
 */
function projectWithoutRepository(data: Record<string, unknown>): string | undefined {
  const replication = record(data.replication);
  return text(record(replication?.dest_resource)?.namespace) ?? text(record(data.retention)?.project_name);
}

export type ParseResult = { ok: true; event: HarborEvent } | { ok: false; issues: { field: string; message: string }[] };

/** Normalises a Harbor webhook delivery in either format; never throws. */
export function parseHarborEvent(body: unknown): ParseResult {
  const isCloudEvent = typeof body === 'object' && body !== null && 'specversion' in body;
  const parsed = isCloudEvent ? CloudEventPayload.safeParse(body) : DefaultPayload.safeParse(body);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues.map((i) => ({ field: ['body', ...i.path.map(String)].join('.'), message: i.message })) };
  let type: string;
  let occurAt: number;
  let data: z.infer<typeof EventData>;
  let operator: string | undefined;
  if ('specversion' in parsed.data) {
    type = FROM_CLOUDEVENTS[parsed.data.type] ?? parsed.data.type;
    const time = parsed.data.time ? Date.parse(parsed.data.time) : NaN;
    occurAt = Number.isFinite(time) ? Math.floor(time / 1000) : 0;
    data = parsed.data.data;
    operator = parsed.data.operator;
  } else {
    ({ type, operator } = parsed.data);
    occurAt = parsed.data.occur_at;
    data = parsed.data.event_data;
  }
  const resources = (data.resources ?? []).map((r) => ({ digest: r.digest ?? null, tag: r.tag ?? null, scanOverview: r.scan_overview ?? null }));
  const repository = data.repository ?? null;
  // What a replication or retention delivery is about is in its own object: part of its key.
  const about = data.replication ?? data.retention;
  const keySource = JSON.stringify([type, occurAt, repository?.namespace, repository?.name, resources.map((r) => [r.digest, r.tag]), ...(about ? [about] : [])]);
  return {
    ok: true,
    event: {
      format: isCloudEvent ? 'CloudEvents' : 'Default',
      type,
      known: KNOWN_TYPES.has(type),
      occurAt,
      operator: operator ?? null,
      namespace: repository?.namespace ?? projectWithoutRepository(data) ?? null,
      repository: repository?.name ?? null,
      resources,
      dedupeKey: createHash('sha256').update(keySource).digest('hex'),
    },
  };
}
