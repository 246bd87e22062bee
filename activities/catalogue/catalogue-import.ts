// The catalogue's import of what Harbor lists (a registration, a refresh, a sync): its rows, then
// the manifests the catalogue lacks, read from Harbor as a push's import reads them. Composite, as
// repository-batch.ts: Harbor and PostgreSQL in one activity, so the workflows' commands stay as
// they were when these activities wrote rows only.
import { Context, log } from '@temporalio/activity';
import type { Db } from '../../db/client';
import { extractModelMetadata } from '../../lib/model-metadata';
import { archiveAbsentRepositoryRows, importRepositories, liveRepositoryNames, reconcileRepositoryRows, type ImportedRepository, type ReconcileRecord, type RepositoryReconciled } from '../db/catalogue-import';
import { thisActivityKey } from '../db/earlier-attempt';
import { imagesWithoutManifest, writeReadManifests } from '../db/manifest-reads';
import type { ImageMetadata } from '../db/model-metadata';
import type { createHarborRepositoryActivities } from '../harbor/repositories';

type HarborReads = Pick<ReturnType<typeof createHarborRepositoryActivities>, 'fetchArtifactManifest' | 'fetchArtifactConfig' | 'listHarborRepositories'>;

/** Manifest reads in flight at once. */
const READ_CONCURRENCY = 8;

/**
 * No manifest read starts later than this into the activity: these run under the database
 * profile (30 s start-to-close) and a read takes up to two Harbor requests of at most 8 s each.
 * What is left is read by the next refresh (the reconciliation Schedule runs them), and until
 * then the cleanup report says its freed bytes are estimates.
 */
const READ_BUDGET_MS = 10_000;

/**
 * Reads and stores the manifest of every live image of `repositories` the catalogue has none of
 * (a digest's manifest never changes: once per digest). A read that fails is logged and left for
 * the next refresh: the version is catalogued all the same.
 */
async function storeMissingManifests(deps: { db: Db; harbor: HarborReads }, input: { projectId: string; registry: string; repositories: ImportedRepository[] }, startedAt: number): Promise<void> {
  const [project] = input.repositories[0]?.fullName.split('/') ?? [];
  if (project === undefined) return;
  const listed = new Map(input.repositories.flatMap((r) => r.artifacts.map((a) => [`${r.fullName}@${a.digest}`, a])));
  const todo = (await imagesWithoutManifest(deps.db, input.projectId, input.repositories.map((r) => r.fullName))).filter((i) => listed.has(`${i.fullName}@${i.digest}`));
  const read: ImageMetadata[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(READ_CONCURRENCY, todo.length) }, async () => {
      while (next < todo.length && Date.now() - startedAt < READ_BUDGET_MS) {
        const image = todo[next++]!;
        const artifact = listed.get(`${image.fullName}@${image.digest}`)!;
        const at = new Date().toISOString();
        try {
          const repository = image.fullName.slice(project.length + 1);
          const manifest = await deps.harbor.fetchArtifactManifest(input.registry, project, repository, image.digest);
          const config = await deps.harbor.fetchArtifactConfig(input.registry, project, repository, manifest);
          read.push({ imageId: image.imageId, tag: artifact.tags[0]?.name ?? '', manifest, meta: extractModelMetadata(manifest, config), read: { at, pulledBefore: artifact.pulledAt ?? null } });
        } catch (err) {
          log.warn('manifest not read; the next refresh tries again', { repository: image.fullName, digest: image.digest, error: err instanceof Error ? err.message : String(err) });
        }
      }
    }),
  );
  if (next < todo.length) log.info('manifest reads deferred to the next refresh', { project, deferred: todo.length - next });
  await writeReadManifests(deps.db, read, new Map(todo.map((i) => [i.imageId, i.modelId])));
}

/** This activity's record of what it changed in `fullName`: keyed by the activity (the same on every attempt); none outside a workflow. */
function reconcileRecord(registry: string, fullName: string): ReconcileRecord | undefined {
  const key = thisActivityKey('reconcile');
  return key === undefined ? undefined : { key, resource: `models/${registry}/${fullName}`, retry: Context.current().info.attempt > 1 };
}

export function createCatalogueImportActivities(deps: { db: Db }, harbor: HarborReads) {
  const withManifests = { db: deps.db, harbor };
  return {
    /** A registration's import of every repository Harbor lists (rows added, none archived), then their missing manifests. */
    async importHarborRepositories(input: { projectId: string; registry: string; repositories: ImportedRepository[] }): Promise<{ models: number; images: number; tags: number }> {
      const startedAt = Date.now();
      const counts = await importRepositories(deps.db, input);
      await storeMissingManifests(withManifests, input, startedAt);
      return counts;
    },

    /** A refresh's or a sync's convergence of one repository on Harbor's list of its artifacts, then its missing manifests. */
    async reconcileRepository(input: { projectId: string; registry: string; repository: ImportedRepository }): Promise<RepositoryReconciled> {
      const startedAt = Date.now();
      const counts = await reconcileRepositoryRows(deps.db, input, reconcileRecord(input.registry, input.repository.fullName));
      await storeMissingManifests(withManifests, { ...input, repositories: [input.repository] }, startedAt);
      return counts;
    },

    /** The full names of a project's live models' repositories, for a refresh to find those Harbor did not list. */
    async listCatalogueRepositories(input: { projectId: string }): Promise<string[]> {
      return liveRepositoryNames(deps.db, input.projectId);
    },

    /**
     * One repository, Harbor asked for it by name here: reconciled on what Harbor lists of it, or
     * archived when Harbor has none (deleted, its webhooks lost). Asked here rather than by the
     * workflow so that what the catalogue learned of after the question is left alone. Null when
     * neither Harbor nor the catalogue has it: nothing is made for it.
     */
    async reconcileNamedRepository(input: { projectId: string; registry: string; fullName: string }): Promise<RepositoryReconciled | null> {
      const startedAt = Date.now();
      const checkedAt = new Date().toISOString();
      const [project, ...rest] = input.fullName.split('/');
      const [repository] = await harbor.listHarborRepositories(input.registry, project!, rest.join('/'));
      const record = reconcileRecord(input.registry, input.fullName);
      if (!repository) return archiveAbsentRepositoryRows(deps.db, { projectId: input.projectId, fullName: input.fullName, checkedAt }, record);
      const counts = await reconcileRepositoryRows(deps.db, { ...input, repository }, record);
      await storeMissingManifests(withManifests, { ...input, repositories: [repository] }, startedAt);
      return counts;
    },
  };
}
