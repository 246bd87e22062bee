import type { RepositoryEvent } from '../workflows/repository-events';
import type { createDbActivities } from './db';
import type { createHarborProjectActivities } from './harbor';

type Base = ReturnType<typeof createDbActivities> & ReturnType<typeof createHarborProjectActivities>;

const ARTIFACT_EVENTS = new Set(['PUSH_ARTIFACT', 'DELETE_ARTIFACT', 'SCANNING_COMPLETED', 'SCANNING_FAILED', 'SCANNING_STOPPED']);

export interface RepositoryBatchInput {
  registry: string;
  project: string;
  projectId: string;
  repository: string;
  events: RepositoryEvent[];
}

export interface AppliedChange {
  digest: string;
  change: 'added' | 'updated' | 'archived' | 'unchanged';
  tags: string[];
}

/**
 * A batch of one repository's events in one activity, in arrival order: the same steps the
 * repository workflow used to run as separate activities, each idempotent, so a retried batch
 * converges. One Temporal round trip per batch instead of seven per push.
 */
export function createRepositoryBatchActivities(base: Base) {
  return {
    async applyRepositoryEvents(input: RepositoryBatchInput): Promise<AppliedChange[]> {
      const fullName = `${input.project}/${input.repository}`;
      const resource = `models/${input.registry}/${fullName}`;
      const changes: AppliedChange[] = [];
      for (const event of input.events) {
        if (!event.digest) continue;
        const details = { digest: event.digest, tag: event.tag ?? null, occurAt: event.occurAt };
        if (event.type === 'PULL_ARTIFACT') {
          await base.recordAudit({ eventKey: `webhook:${event.inboxId}:${event.digest}`, actor: event.operator ?? null, action: 'model.pulled', resource, details });
          continue;
        }
        if (!ARTIFACT_EVENTS.has(event.type)) continue;
        const artifact = await base.fetchHarborArtifact(input.registry, input.project, input.repository, event.digest);
        const change = await base.reconcileArtifact({ projectId: input.projectId, registry: input.registry, fullName, digest: event.digest, artifact });
        await base.recordAudit({ eventKey: `webhook:${event.inboxId}:${event.digest}`, actor: event.operator ?? null, action: `model.${event.type.toLowerCase()}`, resource, details: { ...details, change } });
        if (artifact && event.type === 'PUSH_ARTIFACT') {
          const { manifest, config } = await base.fetchArtifactManifest(input.registry, input.project, input.repository, event.digest);
          await base.recordArtifactMetadata({ projectId: input.projectId, fullName, digest: event.digest, tag: artifact.tags[0]?.name ?? '', manifest, config });
        }
        changes.push({ digest: event.digest, change, tags: artifact?.tags.map((t) => t.name) ?? [] });
      }
      await base.markWebhookEventsProcessed(input.events.map((e) => e.inboxId));
      return changes;
    },
  };
}
