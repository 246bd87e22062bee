/** A CloudEvents 1.0 record as published by the registry (structured JSON mode). */
export interface RegistryEvent {
  specversion: '1.0';
  /** Stable across activity retries: made by the workflow, not by the activity. */
  id: string;
  source: string;
  /** `modelregistry.<resource>.<verb>` */
  type: string;
  /** The resource, e.g. `projects/acme`; also the Kafka key, so one resource's events stay ordered. */
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export interface EventDraft {
  id: string;
  type: string;
  subject: string;
  time: string;
  data: Record<string, unknown>;
}

export const EVENT_SOURCE = '/model-registry';

export function toCloudEvent(draft: EventDraft): RegistryEvent {
  if (!/^modelregistry\.[a-z_]+\.[a-z_]+$/.test(draft.type)) throw new Error(`event type "${draft.type}" is not modelregistry.<resource>.<verb>`);
  return { specversion: '1.0', source: EVENT_SOURCE, datacontenttype: 'application/json', ...draft };
}
