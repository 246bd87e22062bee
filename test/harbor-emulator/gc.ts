import { readRepository } from './artifacts';
import { contentCache, contentKey } from './content-cache';
import type { EmulatorContext } from './context';
import { deleteArtifact } from './deletion';
import type { GcExecutionState, TrashEntry } from './state';

/** Harbor's formatSize (src/jobservice/job/impl/gc/util.go): IEC units, two decimals truncated. */
export function formatSize(size: number): string {
  const units: [number, string][] = [[1024 ** 4, 'TiB'], [1024 ** 3, 'GiB'], [1024 ** 2, 'MiB'], [1024, 'KiB']];
  for (const [unit, name] of units) if (size >= unit) return `${(Math.trunc((size / unit) * 100) / 100).toFixed(2)} ${name}`;
  return `${size} B`;
}

export interface GcOptions {
  dryRun: boolean;
  deleteUntagged: boolean;
  workers: number;
}

/**
 * Runs garbage collection as Harbor v2.15's GC job (src/jobservice/job/impl/gc) over the emulator's
 * state: untagged artifacts deleted first with `delete_untagged` (a dry run only counts them as
 * deleted); then every blob and manifest of a deleted artifact (the trash) that no remaining
 * artifact of any project references and that was pushed longer than the time window ago is
 * eligible; a dry run reports their size, a real run deletes each blob from every repository that
 * links it through the registry's API (`DELETE /v2/<name>/blobs/<digest>`) and reports what it
 * deleted. The result goes into the execution's parameters (`freed_space`, `purged_blobs`,
 * `purged_manifests`) as Harbor's check-in puts it there, and the log has Harbor's lines.
 */
export async function runGc(ctx: EmulatorContext, execution: GcExecutionState, opts: GcOptions, stopped: () => boolean): Promise<void> {
  const log = (message: string) => execution.log.push(`${ctx.clock.now()} [INFO] [gc] ${message}`);
  log(`Garbage Collection parameters: [delete_untagged: ${opts.deleteUntagged}, delete_tag: false, dry_run: ${opts.dryRun}, time_window: ${ctx.gcTimeWindowHours}, workers: ${opts.workers}]`);
  log('start to run gc in job.');
  const trash = new Map(ctx.state.trash);
  const simulated = new Set<string>();
  if (opts.deleteUntagged) {
    log('start to delete untagged artifact (no actually deletion for dry-run mode)');
    for (const p of ctx.state.projects.values()) {
      for (const repository of (await ctx.oci.repositories()).filter((r) => r.startsWith(`${p.project.name}/`))) {
        const contents = await readRepository(ctx, repository);
        for (const entry of contents.artifacts.filter((a) => a.tags.length === 0)) {
          const m = entry.manifest;
          if (opts.dryRun) {
            const known = ctx.state.artifact(repository, m.digest, ctx.clock.now());
            const blobs = [...(m.manifest.config ? [m.manifest.config] : []), ...(m.manifest.layers ?? [])].map((b) => ({ digest: b.digest, size: b.size }));
            trash.set(`${repository}@${m.digest}`, { repository, digest: m.digest, manifestSize: m.size, blobs, deletedAt: ctx.clock.now(), pushedAt: known.pushTime });
            simulated.add(`${repository}@${m.digest}`);
          } else {
            await deleteArtifact(ctx, p, repository, entry, contents, 'admin');
            const deleted = ctx.state.trash.get(`${repository}@${m.digest}`);
            if (deleted) trash.set(`${repository}@${m.digest}`, deleted);
          }
          log(`delete the untagged artifact: ProjectID:(${p.project.project_id})-RepositoryName(${repository})-MediaType:(${m.mediaType})-Digest:(${m.digest})`);
        }
      }
    }
    log('end to delete untagged artifact (no actually deletion for dry-run mode)');
  }

  // What every artifact that stays references, across all projects.
  const referenced = new Set<string>();
  for (const repository of await ctx.oci.repositories()) {
    const contents = await readRepository(ctx, repository);
    const manifests = [...contents.artifacts.map((a) => a.manifest), ...[...contents.accessories.values()].flat().map((a) => a.manifest)];
    for (const m of manifests) {
      if (simulated.has(`${repository}@${m.digest}`)) continue;
      referenced.add(m.digest);
      if (m.manifest.config) referenced.add(m.manifest.config.digest);
      for (const l of m.manifest.layers ?? []) referenced.add(l.digest);
    }
  }

  const windowStart = ctx.clock.nowMs() - ctx.gcTimeWindowHours * 3600 * 1000;
  const blobs = new Map<string, { size: number; repositories: Set<string> }>();
  const manifests = new Map<string, number>();
  const swept: TrashEntry[] = [];
  for (const entry of trash.values()) {
    if (Date.parse(entry.pushedAt) > windowStart) continue;
    swept.push(entry);
    if (!referenced.has(entry.digest)) manifests.set(entry.digest, entry.manifestSize);
    for (const b of entry.blobs) {
      if (referenced.has(b.digest)) continue;
      const blob = blobs.get(b.digest) ?? { size: b.size, repositories: new Set<string>() };
      blob.repositories.add(entry.repository);
      blobs.set(b.digest, blob);
    }
  }
  for (const digest of blobs.keys()) log(`blob eligible for deletion: ${digest}`);
  const size = [...blobs.values()].reduce((sum, b) => sum + b.size, 0) + [...manifests.values()].reduce((sum, s) => sum + s, 0);
  if (blobs.size === 0 && manifests.size === 0) log('no need to execute GC as there is no non referenced artifacts.');
  log(`${blobs.size} blobs and ${manifests.size} manifests eligible for deletion`);
  log(`The GC could free up ${formatSize(size)} space, the size is a rough estimation.`);
  if (opts.dryRun) {
    Object.assign(execution.parameters, { freed_space: size, purged_blobs: blobs.size, purged_manifests: manifests.size });
    return;
  }

  let freed = 0;
  let purgedBlobs = 0;
  const total = blobs.size;
  let index = 0;
  for (const [digest, blob] of blobs) {
    if (stopped()) {
      log('received the stop signal, quit GC job.');
      throw new GcStopped();
    }
    index++;
    for (const repository of blob.repositories) {
      await ctx.oci.deleteBlob(repository, digest);
      contentCache.delete(ctx, contentKey(repository, 'blobs', digest));
    }
    log(`[${index}/${total}] delete blob from storage: ${digest}`);
    freed += blob.size;
    purgedBlobs++;
  }
  // The manifests left the registry when their artifacts were deleted; their records go now.
  for (const entry of swept) ctx.state.trash.delete(`${entry.repository}@${entry.digest}`);
  freed += [...manifests.values()].reduce((sum, s) => sum + s, 0);
  log(`${purgedBlobs} blobs and ${manifests.size} manifests are actually deleted`);
  log(`The GC job actual frees up ${formatSize(freed)} space.`);
  log('success to run gc in job.');
  Object.assign(execution.parameters, { freed_space: freed, purged_blobs: purgedBlobs, purged_manifests: manifests.size });
}

/** A GC stopped through `PUT /system/gc/{id}`. */
export class GcStopped extends Error {}
