/** The contract between the webhook dispatch and the project-event workflow (no workflow imports, so activities can use it). */
export interface ProjectEventInput {
  registry: string;
  project: string;
  /** The inbox row: the audit key and the CloudEvent id, so a re-run changes nothing. */
  inboxId: string;
  type: string;
  operator: string | null;
  occurAt: number;
  /** Harbor's `event_data`. */
  details: unknown;
}
