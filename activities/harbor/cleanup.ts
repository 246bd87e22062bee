import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { cleanupCatalogueFacts, type CleanupCatalogueFacts } from '../../db/queries/cleanup';
import { cleanupRuns } from '../../db/schema';
import { selectCleanup } from '../../lib/cleanup/select';
import type { HarborRetentionPolicy } from '../../lib/cleanup/retention';
import type { CleanupArtifact, CleanupBlob, CleanupCandidate, CleanupPolicy, CleanupReport } from '../../lib/cleanup/types';
import type { OciManifest } from '../../lib/model-metadata';
import type { HarborArtifact, HarborSchemas } from './client';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';

/** Harbor's "never": an artifact never pulled has `pull_time` 0001-01-01T00:00:00Z. */
const timeOf = (t: string | undefined) => (t && !t.startsWith('0001-') ? new Date(t).toISOString() : undefined);
const later = (a: string | undefined, b: string | undefined) => (a && b ? (a > b ? a : b) : (a ?? b));

/**
 * The artifact's blobs: its manifest, config and layers from the catalogue's copy of the manifest;
 * else the artifact as one blob, marked unknown so the report says its freed bytes are estimates.
 */
function blobsOf(a: HarborArtifact, manifest: string | null): Pick<CleanupArtifact, 'blobs' | 'blobsUnknown'> {
  const self = { blobs: [{ digest: a.digest!, size: a.size ?? 0 }], blobsUnknown: true as const };
  if (!manifest) return self;
  try {
    const m = JSON.parse(manifest) as OciManifest;
    const parts = [...(m.config ? [m.config] : []), ...(m.layers ?? [])].map((d): CleanupBlob => ({ digest: d.digest, size: d.size }));
    return { blobs: [{ digest: a.digest!, size: Buffer.byteLength(manifest) }, ...parts] };
  } catch {
    return self;
  }
}

/** How close to a refresh's read of its manifest Harbor's `pull_time` is taken for that read (Harbor flushes pull times every 10 s by default; clocks differ). */
const OWN_READ_WINDOW_MS = 60_000;

/**
 * Harbor's pull time less the service's own read: a refresh's manifest read of an artifact counts
 * in Harbor as a pull, so a `pull_time` that close to it is that read, and the pull time Harbor
 * listed before it stands instead. A user's pull that close is lost here, but not in the audit
 * trail, which records every pull but the service's.
 */
function harborPullOf(harborPull: string | undefined, read: { readAt: string | null; pulledBefore: string | null } | undefined): string | undefined {
  if (!harborPull || !read?.readAt) return harborPull;
  return Math.abs(Date.parse(harborPull) - Date.parse(read.readAt)) <= OWN_READ_WINDOW_MS ? (read.pulledBefore ?? undefined) : harborPull;
}

function toCleanupArtifact(model: string, a: HarborArtifact, facts: CleanupCatalogueFacts): CleanupArtifact {
  const image = facts.images[`${model}@${a.digest}`];
  const tags = (a.tags ?? []).map((t) => ({ name: t.name!, pushedAt: timeOf(t.push_time) ?? timeOf(a.push_time)!, immutable: t.immutable === true }));
  const promoted = tags.some((t) => {
    const key = `${model}:${t.name}`;
    return key in facts.promoted && (facts.promoted[key] === null || facts.promoted[key] === a.digest);
  });
  const pulledAt = later(harborPullOf(timeOf(a.pull_time), image), facts.lastPulls[`${model}@${a.digest}`]);
  const archivedAt = facts.archivedModels[model];
  return {
    model,
    digest: a.digest!,
    tags,
    pushedAt: timeOf(a.push_time)!,
    ...(pulledAt ? { pulledAt } : {}),
    labels: (a.labels ?? []).map((l) => l.name!).filter(Boolean),
    approved: image?.approved ?? false,
    promoted,
    ...(archivedAt ? { modelArchivedAt: archivedAt } : {}),
    ...blobsOf(a, image?.manifest ?? null),
  };
}

/** A window of a report: what crosses into a workflow stays small however many versions a project has. */
export interface CleanupReportPage {
  totals: CleanupReport['totals'];
  candidates: CleanupCandidate[];
  protected: CleanupReport['protected'];
  /** Where the next window starts (candidates and protected versions alike); null: none follows. */
  nextOffset: number | null;
}

/**
 * Cleanup's Harbor side: what exists (Harbor is the truth, the catalogue adds approvals, promotions,
 * manifests and pulls), the idempotent removal of one version, and the mirrored retention policy.
 */
export function createHarborCleanupActivities(deps: { harbor: HarborInstances; db: Db }) {
  const harbor = (registry: string) => deps.harbor.get(registry);

  /** Every artifact of every repository of the project (all pages), with what the rules and protections read. */
  async function gatherCleanupArtifacts(registry: string, project: { id: string; name: string }): Promise<CleanupArtifact[]> {
    const client = harbor(registry);
    const [repos, facts] = await Promise.all([
      client.all((page, pageSize) => client.repositories.list(project.name, { page, pageSize })),
      cleanupCatalogueFacts(deps.db, { ...project, registry }),
    ]);
    const result: CleanupArtifact[] = [];
    for (const repo of repos) {
      const model = repo.name!.slice(project.name.length + 1);
      const artifacts = await client.all((page, pageSize) => client.artifacts.list(project.name, model, { page, pageSize, withTag: true, withLabel: true, withImmutableStatus: true }));
      for (const a of artifacts) result.push(toCleanupArtifact(model, a, facts));
    }
    return result;
  }

  return {
    gatherCleanupArtifacts,

    /**
     * The project's report under `policy` at `now` (`selectCleanup` on what `gatherCleanupArtifacts`
     * reads), answered as a window `[offset, offset + limit)` of its candidates and protected versions
     * with the totals of all: a report of 10,000 versions does not fit a workflow's payloads. With
     * `run`, the whole report is stored on the run's row and the window is the run's work.
     */
    async cleanupReport(input: { registry: string; project: { id: string; name: string }; policy: CleanupPolicy; now: string; offset: number; limit: number; run?: string }): Promise<CleanupReportPage> {
      const report = selectCleanup({ now: input.now, policy: input.policy, artifacts: await gatherCleanupArtifacts(input.registry, input.project) });
      if (input.run) await deps.db.update(cleanupRuns).set({ report, total: report.candidates.length }).where(eq(cleanupRuns.id, input.run));
      const end = input.offset + input.limit;
      return {
        totals: report.totals,
        candidates: report.candidates.slice(input.offset, end),
        protected: report.protected.slice(input.offset, end),
        nextOffset: end < Math.max(report.candidates.length, report.protected.length) ? end : null,
      };
    },

    /**
     * Removes one version in Harbor: `untag` deletes the tag, `delete` the artifact. Already gone
     * (404) is done, so a retried or re-run step changes nothing twice. Whether it was there.
     */
    async removeHarborVersion(registry: string, v: { project: string; model: string; digest: string; tag: string | null; action: 'untag' | 'delete' }): Promise<boolean> {
      const client = harbor(registry);
      try {
        if (v.action === 'untag' && v.tag !== null) await client.tags.delete(v.project, v.model, v.digest, v.tag);
        else await client.artifacts.delete(v.project, v.model, v.digest);
        return true;
      } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
      }
    },

    /**
     * Makes the project's Harbor retention policy (linked by its `retention_id` metadata) `body`:
     * updated or created; deleted when `body` is null. Its id, or null.
     */
    async syncHarborRetention(registry: string, project: string, policy: HarborRetentionPolicy | null): Promise<number | null> {
      const client = harbor(registry);
      // Harbor's definition types a rule's params as objects; Harbor takes numbers (`latestPushedK: 3`).
      const body = policy as HarborSchemas['RetentionPolicy'] | null;
      const linked = Number((await client.projects.get(project))?.metadata?.retention_id ?? NaN);
      const existing = Number.isInteger(linked) ? linked : null;
      if (body === null) {
        if (existing !== null) {
          try {
            await client.retention.delete(existing);
          } catch (err) {
            if (!isNotFound(err)) throw err;
          }
        }
        return null;
      }
      if (existing !== null) {
        try {
          await client.retention.update(existing, body);
          return existing;
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return client.retention.create(body);
    },
  };
}
