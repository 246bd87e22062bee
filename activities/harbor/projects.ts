import { ApplicationFailure } from '@temporalio/common';
import type { HarborSummary, ProjectSettings } from '../../db/queries/projects';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';

export interface HarborProjectSpec {
  registry: string;
  name: string;
  public: boolean;
  storageLimit: number | null;
  settings: ProjectSettings;
}

const isConflict = (err: unknown) => err instanceof ApplicationFailure && err.type === 'Conflict';

function metadata(spec: { public: boolean; settings: ProjectSettings }) {
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

    /** Creates the project; on a retry after it was created, returns the existing id. */
    async createHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      try {
        return await client.projects.create({
          project_name: spec.name,
          public: spec.public,
          storage_limit: spec.storageLimit ?? -1,
          metadata: metadata(spec),
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        const existing = await client.projects.get(spec.name);
        return existing!.project_id!;
      }
    },

    /** Resets an existing project's settings to ours (registration) or applies a change. */
    async configureHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      await client.projects.update(spec.name, { metadata: metadata(spec), ...(spec.storageLimit === null ? {} : { storage_limit: spec.storageLimit }) });
      return (await client.projects.get(spec.name))!.project_id!;
    },

    async deleteHarborProject(registry: string, name: string): Promise<void> {
      const client = harbor(registry);
      try {
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
