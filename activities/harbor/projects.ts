import type { HarborSummary, ProjectSettings } from '../../db/queries/projects';
import type { HarborSchemas } from './client';
import { isNotFound } from './errors';
import { createdDuringThisActivity, createOrAdopt, createdSince } from './provenance';
import type { HarborInstances } from './instances';

export interface HarborProjectSpec {
  registry: string;
  name: string;
  public: boolean;
  storageLimit: number | null;
  settings: ProjectSettings;
}

/** An earlier attempt's project: created by our account while this activity ran (see provenance.ts). */
const ours = (project: HarborSchemas['Project'] | undefined, username: string) => project?.owner_name === username && createdDuringThisActivity(project.creation_time);

function metadata(spec: { public: boolean; settings: ProjectSettings }): HarborSchemas['ProjectMetadata'] {
  return {
    public: String(spec.public),
    auto_scan: String(spec.settings.autoScan),
    enable_content_trust_cosign: String(spec.settings.contentTrustCosign),
    prevent_vul: String(spec.settings.preventVulnerable),
    severity: spec.settings.severity,
  };
}

/**
 * The Harbor project itself: existence, creation, settings, deletion and its summary. Each
 * activity converges on the wanted state, so a retry after a crash finds its own earlier work
 * instead of failing or doing it twice; deletion tolerates what is already gone.
 */
export function createHarborProjectActivities(deps: { harbor: HarborInstances }) {
  const harbor = (registry: string) => deps.harbor.get(registry);

  return {
    async harborProjectExists(registry: string, name: string): Promise<boolean> {
      return harbor(registry).projects.exists(name);
    },

    /**
     * Creates the project. A 409 is adopted only when the project there is provably an earlier
     * attempt's (provenance.ts); any other project of that name is someone else's: a
     * non-retryable Conflict, which the onboarding does not compensate.
     */
    async createHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      return createOrAdopt(
        () => client.projects.create({ project_name: spec.name, public: spec.public, storage_limit: spec.storageLimit ?? -1, metadata: metadata(spec) }),
        async () => {
          const existing = await client.projects.get(spec.name);
          return ours(existing, client.username) ? existing!.project_id! : undefined;
        },
        `project "${spec.name}" already exists in ${spec.registry}, created by someone else`,
      );
    },

    /** Resets an existing project's settings to ours (registration) or applies a change. */
    async configureHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      await client.projects.update(spec.name, { metadata: metadata(spec), ...(spec.storageLimit === null ? {} : { storage_limit: spec.storageLimit }) });
      return (await client.projects.get(spec.name))!.project_id!;
    },

    /** With `createdSinceMs` (a compensation), only a project of ours Harbor created since then. */
    async deleteHarborProject(registry: string, name: string, createdSinceMs?: number): Promise<void> {
      const client = harbor(registry);
      try {
        if (createdSinceMs !== undefined) {
          const project = await client.projects.get(name);
          if (!(project?.owner_name === client.username && createdSince(project.creation_time, createdSinceMs))) return;
        }
        // Robots of a project go with it in Harbor; policies and members too.
        await client.projects.delete(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /** Quota and repository count for the project's read model, with the time Harbor was asked. */
    async harborProjectSummary(registry: string, name: string): Promise<HarborSummary> {
      const summary = await harbor(registry).projects.summary(name);
      const storage = (r: unknown) => ((r as { storage?: number } | undefined)?.storage ?? null);
      return { repoCount: summary?.repo_count ?? 0, quotaHard: storage(summary?.quota?.hard), quotaUsed: storage(summary?.quota?.used), refreshedAt: new Date().toISOString() };
    },
  };
}
