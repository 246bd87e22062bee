import type { RepositoryContents } from './artifacts';
import { contentCache, contentKey } from './content-cache';
import { type EmulatorContext, HarborError } from './context';
import { isImmutable } from './immutable';
import type { FetchedManifest } from './oci';
import { emitArtifactEvent } from './routes/repositories';
import type { ProjectState } from './state';

/** Harbor's 412 for an immutable tag that a delete or a push would remove or move (src/controller/tag, src/server/middleware/immutable). */
export const immutableTagError = (tag: string, verb: 'deleted' | 'updated') => new HarborError(412, 'PRECONDITION', `the tag ${tag} configured as immutable, cannot be ${verb}`);

/** Removes one manifest: from the registry, from what the emulator keeps, and into the trash GC sweeps. */
async function removeManifest(ctx: EmulatorContext, repository: string, m: FetchedManifest): Promise<void> {
  const known = ctx.state.artifacts.get(`${repository}@${m.digest}`);
  const blobs = [...(m.manifest.config ? [m.manifest.config] : []), ...(m.manifest.layers ?? [])].map((b) => ({ digest: b.digest, size: b.size }));
  ctx.state.trash.set(`${repository}@${m.digest}`, {
    repository,
    digest: m.digest,
    manifestSize: m.size,
    blobs,
    deletedAt: ctx.clock.now(),
    pushedAt: known?.pushTime ?? ctx.clock.now(),
  });
  await ctx.oci.deleteManifest(repository, m.digest);
  contentCache.delete(ctx, contentKey(repository, 'manifests', m.digest));
  ctx.state.artifacts.delete(`${repository}@${m.digest}`);
}

/**
 * Deletes an artifact as Harbor's artifact controller does (deleteDeeply): refused with 412 when one
 * of its tags is immutable; its accessories (cosign signatures, referrers) go with it; its tags go;
 * one DELETE_ARTIFACT webhook. Harbor keeps the manifest and blobs in storage until GC; the emulator
 * deletes the manifest from the registry at once (it reads artifacts from there) and leaves the blobs,
 * remembered in the trash, for GC.
 */
export async function deleteArtifact(
  ctx: EmulatorContext,
  p: ProjectState,
  repository: string,
  entry: RepositoryContents['artifacts'][number],
  contents: RepositoryContents,
  operator = 'admin',
): Promise<void> {
  const immutable = entry.tags.find((t) => isImmutable(ctx.state, p.project.project_id!, repository, t));
  if (immutable) throw immutableTagError(immutable, 'deleted');
  for (const acc of contents.accessories.get(entry.manifest.digest) ?? []) await removeManifest(ctx, repository, acc.manifest);
  await removeManifest(ctx, repository, entry.manifest);
  for (const tag of entry.tags) {
    ctx.state.tagPushTimes.delete(`${repository}:${tag}`);
    ctx.state.tagPullTimes.delete(`${repository}:${tag}`);
  }
  ctx.state.changed(repository);
  // Harbor names the first tag, or the digest for an untagged artifact (webhook/artifact/artifact.go).
  const reference = entry.tags[0] ?? entry.manifest.digest;
  const resourceUrl = `${ctx.registryAddress()}/${repository}${entry.tags[0] ? ':' : '@'}${reference}`;
  emitArtifactEvent(ctx, p, 'DELETE_ARTIFACT', repository, [{ digest: entry.manifest.digest, tag: reference, resource_url: resourceUrl }], {}, operator);
}
