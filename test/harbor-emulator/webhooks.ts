import { randomUUID } from 'node:crypto';
import type { HarborSchemas } from '../../activities/harbor';
import type { Faults } from './faults';

/** Harbor's Default `type` names and their CloudEvents names (Harbor v2.15 notifier). */
export const CLOUDEVENT_TYPES: Record<string, string> = {
  PUSH_ARTIFACT: 'harbor.artifact.pushed',
  PULL_ARTIFACT: 'harbor.artifact.pulled',
  DELETE_ARTIFACT: 'harbor.artifact.deleted',
  SCANNING_COMPLETED: 'harbor.scan.completed',
  SCANNING_FAILED: 'harbor.scan.failed',
  SCANNING_STOPPED: 'harbor.scan.stopped',
  QUOTA_EXCEED: 'harbor.quota.exceeded',
  QUOTA_WARNING: 'harbor.quota.warned',
  REPLICATION: 'harbor.replication.status.changed',
  TAG_RETENTION: 'harbor.tag_retention.finished',
};

export interface EventData {
  resources?: Record<string, unknown>[];
  repository?: { date_created: number; name: string; namespace: string; repo_full_name: string; repo_type: 'public' | 'private' };
  scan?: { scan_type: string };
  replication?: Record<string, unknown>;
  retention?: Record<string, unknown>;
  custom_attributes?: Record<string, unknown>;
}

export interface Delivery {
  address: string;
  format: string;
  eventType: string;
  status: number | 'error';
  attempts: number;
}

const TIMEOUT_MS = 3000;
const MAX_TRIES = 3;

/** Sends Harbor webhooks as Harbor's job service does: per policy target, 3 tries, 3 s time-out each, with the waits between tries it is given. */
export class WebhookSender {
  readonly deliveries: Delivery[] = [];
  private held: (() => Promise<void>)[] = [];
  private inFlight = new Set<Promise<void>>();
  private readonly stopping = new AbortController();

  constructor(
    private readonly faults: Faults,
    private readonly retryDelaysMs: readonly number[] = [0, 0],
  ) {}

  /** Fires the event to every enabled policy of the project subscribed to its type. */
  emit(project: { id: number; policies: HarborSchemas['WebhookPolicy'][] }, type: string, operator: string, data: EventData): void {
    const occurAt = Math.floor(Date.now() / 1000);
    for (const policy of project.policies) {
      if (policy.enabled === false || !policy.event_types?.includes(type)) continue;
      for (const target of policy.targets ?? []) {
        const send = () => this.deliver(target, type, operator, occurAt, data, `/projects/${project.id}/webhook/policies/${policy.id}`);
        this.schedule(send);
      }
    }
  }

  /** Gives up the tries still waiting their turn (the emulator stops): Harbor's own queue would keep them, ours is in memory. */
  close(): void {
    this.stopping.abort();
  }

  /** Resolves once every delivery started so far has finished (tests use it to settle). */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  private schedule(send: () => Promise<void>): void {
    if (this.faults.webhookDrops > 0) {
      this.faults.webhookDrops--;
      return;
    }
    const copies = this.faults.webhookDuplicates > 0 ? (this.faults.webhookDuplicates--, 2) : 1;
    for (let i = 0; i < copies; i++) {
      if (this.faults.webhookReorder > 0) {
        this.held.push(send);
        if (--this.faults.webhookReorder === 0) {
          const held = this.held.reverse();
          this.held = [];
          for (const h of held) this.track(h());
        }
      } else {
        this.track(send());
      }
    }
  }

  private track(p: Promise<void>): void {
    this.inFlight.add(p);
    void p.finally(() => this.inFlight.delete(p));
  }

  private async deliver(
    target: HarborSchemas['WebhookTargetObject'],
    type: string,
    operator: string,
    occurAt: number,
    data: EventData,
    source: string,
  ): Promise<void> {
    const cloudEvents = target.payload_format === 'CloudEvents';
    const body = cloudEvents
      ? {
          specversion: '1.0',
          id: randomUUID(),
          requestid: randomUUID(),
          source,
          type: CLOUDEVENT_TYPES[type] ?? `harbor.${type.toLowerCase()}`,
          datacontenttype: 'application/json',
          time: new Date(occurAt * 1000).toISOString(),
          operator,
          data,
        }
      : { type, occur_at: occurAt, operator, event_data: data };
    const headers: Record<string, string> = {
      'content-type': cloudEvents ? 'application/cloudevents+json' : 'application/json',
      'user-agent': 'Go-http-client/1.1',
    };
    if (target.auth_header) headers.authorization = target.auth_header;
    const delivery: Delivery = { address: target.address ?? '', format: target.payload_format ?? 'Default', eventType: type, status: 'error', attempts: 0 };
    this.deliveries.push(delivery);
    for (let attempt = 1; attempt <= MAX_TRIES; attempt++) {
      const wait = attempt > 1 ? (this.retryDelaysMs[attempt - 2] ?? 0) : 0;
      if (wait > 0) {
        if (this.stopping.signal.aborted) return;
        await new Promise<void>((done) => {
          const stop = () => (clearTimeout(timer), done());
          const timer = setTimeout(() => (this.stopping.signal.removeEventListener('abort', stop), done()), wait);
          this.stopping.signal.addEventListener('abort', stop, { once: true });
        });
        if (this.stopping.signal.aborted) return;
      }
      delivery.attempts = attempt;
      try {
        const res = await fetch(delivery.address, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
        delivery.status = res.status;
        await res.body?.cancel();
        if (res.ok) return;
      } catch {
        delivery.status = 'error';
      }
    }
  }
}
