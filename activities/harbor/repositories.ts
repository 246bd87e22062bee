import { isModelConfig, type OciManifest } from '../../lib/model-metadata';
import type { ImportedArtifact, ImportedRepository } from '../db/catalogue-import';
import type { HarborArtifact } from './client';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';

interface NativeReport {
  report_id?: string;
  scan_status?: string;
  severity?: string;
  summary?: unknown;
  start_time?: string;
  end_time?: string;
  scanner?: { name?: string; version?: string };
}

/** An artifact as the catalogue records it: tags, scan reports (Harbor's scan overview) and signature accessories. */
function toImportedArtifact(a: HarborArtifact): ImportedArtifact {
  const reports = Object.values((a.scan_overview ?? {}) as Record<string, NativeReport>).filter((r) => r.report_id);
  return {
    digest: a.digest!,
    harborId: a.id!,
    tags: (a.tags ?? []).map((t) => ({ name: t.name!, harborId: t.id! })),
    // Harbor's "never" is Go's zero time.
    ...(a.pull_time && !a.pull_time.startsWith('0001-') ? { pulledAt: new Date(a.pull_time).toISOString() } : {}),
    scans: reports.map((r) => ({
      reportId: r.report_id!,
      scanner: r.scanner?.name ? `${r.scanner.name} ${r.scanner.version ?? ''}`.trim() : null,
      status: r.scan_status ?? 'Pending',
      severity: r.severity ?? null,
      summary: r.summary === undefined ? null : JSON.stringify(r.summary),
      startTime: r.start_time ?? null,
      endTime: r.end_time ?? null,
    })),
    signatures: (a.accessories ?? []).filter((x) => x.type?.startsWith('signature.')).map((x) => ({ digest: x.digest!, harborId: x.id!, type: x.type! })),
  };
}

/** A project's repositories (models), their artifacts (images) and manifests, as the catalogue reads and changes them. */
export function createHarborRepositoryActivities(deps: { harbor: HarborInstances }) {
  const harbor = (registry: string) => deps.harbor.get(registry);
  const allRepositories = (registry: string, project: string) => {
    const client = harbor(registry);
    return client.all((page, pageSize) => client.repositories.list(project, { page, pageSize }));
  };

  return {
    /** Harbor's own copy of what users say about a model: the repository description. */
    async setHarborRepositoryDescription(registry: string, project: string, model: string, description: string): Promise<void> {
      await harbor(registry).repositories.updateDescription(project, model, description);
    },

    /**
     * Every repository (or the one named: none when Harbor has no such repository, as for a model a
     * sync is about to pull for the first time) and its artifacts (all pages) of a project, as the
     * catalogue wants them.
     */
    async listHarborRepositories(registry: string, name: string, only?: string): Promise<ImportedRepository[]> {
      const client = harbor(registry);
      const named = async (repository: string) => {
        try {
          return [await client.repositories.get(name, repository)].filter((r) => r !== undefined);
        } catch (err) {
          if (isNotFound(err)) return [];
          throw err;
        }
      };
      const repos = only ? await named(only) : await allRepositories(registry, name);
      const result: ImportedRepository[] = [];
      for (const repo of repos) {
        const short = repo.name!.slice(name.length + 1);
        const listedAt = new Date().toISOString();
        const artifacts = await client.all((page, pageSize) => client.artifacts.list(name, short, { page, pageSize, withTag: true, withScanOverview: true, withAccessory: true }));
        result.push({
          fullName: repo.name!,
          harborId: repo.id!,
          description: repo.description ?? '',
          artifacts: artifacts.map(toImportedArtifact),
          listedAt,
        });
      }
      return result;
    },

    /**
     * One artifact as the catalogue wants it, or null when Harbor no longer has it; with the model
     * config Harbor copied into its `extra_attrs` at push time, when it did.
     */
    async fetchHarborArtifact(registry: string, project: string, repository: string, digest: string): Promise<(ImportedArtifact & { modelConfig?: Record<string, unknown> }) | null> {
      try {
        const a = (await harbor(registry).artifacts.get(project, repository, digest, { withScanOverview: true, withAccessory: true, withLabel: false }))!;
        const attrs = a.extra_attrs as Record<string, unknown> | undefined;
        // Harbor's model processors copy the whole config; other types keep a few of its properties.
        const modelConfig = isModelConfig(a.media_type) && attrs && Object.keys(attrs).length > 0 ? attrs : undefined;
        return { ...toImportedArtifact(a), ...(modelConfig && { modelConfig }) };
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    /** The manifest of an artifact. */
    async fetchArtifactManifest(registry: string, project: string, repository: string, digest: string): Promise<OciManifest> {
      return (await harbor(registry).registry.manifest(`${project}/${repository}`, digest)) as OciManifest;
    },

    /** A manifest's config when it is small JSON (a ModelPack config), else null. */
    async fetchArtifactConfig(registry: string, project: string, repository: string, manifest: OciManifest): Promise<unknown> {
      const config = manifest.config;
      return config && config.size <= 1024 * 1024 && config.mediaType.endsWith('json') ? harbor(registry).registry.blobJson(`${project}/${repository}`, config.digest) : null;
    },

    /** Deletes every repository of a project (purge with force). */
    async deleteHarborRepositories(registry: string, name: string): Promise<number> {
      const repos = await allRepositories(registry, name);
      for (const repo of repos) {
        try {
          await harbor(registry).repositories.delete(name, repo.name!.slice(name.length + 1));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return repos.length;
    },

    async harborArtifactCount(registry: string, name: string): Promise<number> {
      const repos = await allRepositories(registry, name);
      return repos.reduce((sum, r) => sum + (r.artifact_count ?? 0), 0);
    },
  };
}
