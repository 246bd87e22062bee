import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { HarborSummary, ProjectSettings } from '../../db/read-models/projects';
import type { HarborSchemas } from './client';
import { HarborFailure, isNotFound } from './errors';
import type { HarborInstances } from './instances';

export interface HarborProjectSpec {
  registry: string;
  name: string;
  public: boolean;
  storageLimit: number | null;
  settings: ProjectSettings;
}

/**
 * Proof of creation: the project metadata key naming the onboarding run that created the project.
 * The emulator keeps it. A real Harbor keeps only the metadata keys it knows (its CreateProject
 * copies the typed ProjectMetadata), so there no 409 is ever adopted: a retry whose first answer
 * was lost fails as a conflict, leaving the project for registration (PUT /projects) — never
 * deleting a project it cannot prove is its own.
 */
export const CREATED_BY_KEY = 'modelregistry_created_by';

/** The mark of the workflow run this activity works for: the same for every attempt of it. */
function thisRunsMark(): Record<string, string> {
  // Activities here always run for a workflow.
  const { workflowId, runId } = Context.current().info.workflowExecution!;
  return { [CREATED_BY_KEY]: `${workflowId}/${runId}` };
}

const isConflict = (err: unknown) => err instanceof ApplicationFailure && err.type === HarborFailure.Conflict;

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
     * Creates the project marked as this run's. A 409 is adopted only when the project there
     * carries this run's mark (an earlier attempt whose answer was lost); any other project of that
     * name is someone else's: a non-retryable Conflict, which the onboarding does not compensate.
     */
    async createHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      const mark = thisRunsMark();
      try {
        return await client.projects.create({
          project_name: spec.name,
          public: spec.public,
          storage_limit: spec.storageLimit ?? -1,
          metadata: { ...metadata(spec), ...mark },
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        const existing = await client.projects.get(spec.name);
        if ((existing?.metadata as Record<string, string> | undefined)?.[CREATED_BY_KEY] === mark[CREATED_BY_KEY]) return existing!.project_id!;
        throw ApplicationFailure.create({ type: 'Conflict', message: `project "${spec.name}" already exists in ${spec.registry}, created by someone else`, nonRetryable: true });
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
