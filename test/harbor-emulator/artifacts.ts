import type { HarborSchemas } from '../../activities/harbor';
import type { EmulatorContext } from './context';
import { isImmutable } from './immutable';
import { NEVER_PULLED } from './state';
import type { FetchedManifest } from './oci';

type Artifact = HarborSchemas['Artifact'];

const COSIGN_TAG = /^sha256-([a-f0-9]{64})\.sig$/;

// Harbor v2.15.2 picks an artifact's processor by its artifact type (the manifest's artifactType, else
// the config media type): images have their own, the CNAI processor takes the older
// `application/vnd.cnai.model.manifest.v1+json`, and the default processor types any other
// `application/vnd.<vendor>.<type>.config.<version>+json` config (a CNCF ModelPack is MODEL).
// Both of the latter copy the whole config JSON into `extra_attrs` at push time
// (controller/artifact/processor/{cnai,default}.go).
const IMAGE_CONFIGS = new Set(['application/vnd.oci.image.config.v1+json', 'application/vnd.docker.container.image.v1+json']);
const CNAI_MANIFEST = 'application/vnd.cnai.model.manifest.v1+json';
const DEFAULT_TYPED = /^application\/vnd\.[^.]*\.(.*)\.config\.[^.]*\+json$/;

/** Harbor's artifact `type`. */
function artifactType(m: FetchedManifest): string {
  if (m.manifest.manifests) return 'IMAGE';
  const config = m.manifest.config?.mediaType ?? '';
  if (IMAGE_CONFIGS.has(config)) return 'IMAGE';
  if (m.manifest.artifactType === CNAI_MANIFEST) return 'CNAI';
  return DEFAULT_TYPED.exec(config)?.[1]?.toUpperCase() ?? 'UNKNOWN';
}

/** Whether Harbor copies this artifact's config into `extra_attrs`: the CNAI and default processors do. */
const copiesConfig = (m: FetchedManifest) => m.manifest.config !== undefined && !m.manifest.manifests && !['IMAGE', 'UNKNOWN'].includes(artifactType(m));

const sizeOf = (m: FetchedManifest) =>
  m.size + (m.manifest.config?.size ?? 0) + (m.manifest.layers ?? []).reduce((sum, l) => sum + l.size, 0);

export interface RepositoryContents {
  /** Artifacts that are not accessories, newest push first, with their tags. */
  artifacts: { manifest: FetchedManifest; tags: string[] }[];
  /** Accessories (cosign signatures, OCI referrers) by the digest of their subject. */
  accessories: Map<string, { manifest: FetchedManifest; type: string }[]>;
}

const cached = new WeakMap<EmulatorContext, Map<string, { generation: number; contents: Promise<RepositoryContents> }>>();

/**
 * A repository's contents, read again from the registry only after the emulator changed it (every
 * push, delete and tag goes through the emulator). Real Harbor answers artifact reads from its
 * database; without this, each read would cost one registry request per tag.
 */
export function readRepository(ctx: EmulatorContext, repository: string): Promise<RepositoryContents> {
  let byRepository = cached.get(ctx);
  if (!byRepository) cached.set(ctx, (byRepository = new Map()));
  const generation = ctx.state.generation(repository);
  const hit = byRepository.get(repository);
  if (hit?.generation === generation) return hit.contents;
  const contents = readFromRegistry(ctx, repository);
  byRepository.set(repository, { generation, contents });
  contents.catch(() => {
    if (byRepository.get(repository)?.contents === contents) byRepository.delete(repository);
  });
  return contents;
}

/** A config as `extra_attrs`; one that is not a JSON object leaves them empty (Harbor logs the parse error and goes on). */
async function configAttrs(ctx: EmulatorContext, repository: string, digest: string): Promise<Record<string, unknown>> {
  const config = await ctx.oci.blobJson(repository, digest).catch((err: unknown) => {
    if (err instanceof SyntaxError) return null;
    throw err;
  });
  return config !== null && typeof config === 'object' && !Array.isArray(config) ? (config as Record<string, unknown>) : {};
}

/** Reads a repository from the registry: tagged manifests plus the untagged ones pushed through the emulator. */
async function readFromRegistry(ctx: EmulatorContext, repository: string): Promise<RepositoryContents> {
  const digests = new Map<string, string[]>();
  const accessories = new Map<string, { manifest: FetchedManifest; type: string }[]>();
  const addAccessory = (subject: string, manifest: FetchedManifest, type: string) =>
    accessories.set(subject, [...(accessories.get(subject) ?? []).filter((a) => a.manifest.digest !== manifest.digest), { manifest, type }]);

  const manifests = new Map<string, FetchedManifest>();
  for (const tag of await ctx.oci.tags(repository)) {
    if (ctx.state.deletedTags.has(`${repository}:${tag}`)) continue;
    const m = await ctx.oci.manifest(repository, tag);
    if (!m) continue;
    const cosign = COSIGN_TAG.exec(tag);
    if (cosign) {
      addAccessory(`sha256:${cosign[1]}`, m, 'signature.cosign');
      continue;
    }
    manifests.set(m.digest, m);
    digests.set(m.digest, [...(digests.get(m.digest) ?? []), tag]);
  }
  const accessoryDigests = new Set([...accessories.values()].flat().map((a) => a.manifest.digest));
  for (const known of ctx.state.artifacts.values()) {
    if (known.repository !== repository || digests.has(known.digest) || accessoryDigests.has(known.digest)) continue;
    const m = await ctx.oci.manifest(repository, known.digest);
    if (m) {
      manifests.set(m.digest, m);
      digests.set(m.digest, []);
    }
  }
  const artifacts: RepositoryContents['artifacts'] = [];
  for (const [digest, m] of manifests) {
    if (m.manifest.subject) {
      addAccessory(m.manifest.subject.digest, m, m.manifest.artifactType === 'application/vnd.dev.cosign.artifact.sig.v1+json' ? 'signature.cosign' : 'subject.accessory');
      continue;
    }
    artifacts.push({ manifest: m, tags: digests.get(digest) ?? [] });
  }
  const stamp = ctx.clock.now();
  // Harbor reads the config once, at push time; a digest's config never changes.
  for (const { manifest: m } of artifacts) {
    const known = ctx.state.artifact(repository, m.digest, stamp);
    if (known.extraAttrs !== undefined) continue;
    known.extraAttrs = copiesConfig(m) ? await configAttrs(ctx, repository, m.manifest.config!.digest) : {};
  }
  artifacts.sort((a, b) => ctx.state.artifact(repository, b.manifest.digest, stamp).pushTime.localeCompare(ctx.state.artifact(repository, a.manifest.digest, stamp).pushTime));
  return { artifacts, accessories };
}

export interface ArtifactOptions {
  withTag: boolean;
  withLabel: boolean;
  withScanOverview: boolean;
  withAccessory: boolean;
}

/** The Harbor `Artifact` for a manifest the registry holds. */
export function toArtifact(
  ctx: EmulatorContext,
  project: HarborSchemas['Project'],
  repository: string,
  entry: { manifest: FetchedManifest; tags: string[] },
  accessories: RepositoryContents['accessories'],
  opts: ArtifactOptions,
): Artifact {
  const stamp = ctx.clock.now();
  const repo = ctx.state.repository(repository, project.project_id!, stamp);
  const known = ctx.state.artifact(repository, entry.manifest.digest, stamp);
  const m = entry.manifest;
  const artifact: Artifact = {
    id: known.id,
    type: artifactType(m),
    media_type: m.manifest.config?.mediaType ?? m.mediaType,
    manifest_media_type: m.mediaType,
    artifact_type: m.manifest.artifactType ?? m.manifest.config?.mediaType ?? m.mediaType,
    project_id: project.project_id,
    repository_id: repo.id,
    repository_name: repository,
    digest: m.digest,
    size: sizeOf(m),
    icon: '',
    push_time: known.pushTime,
    pull_time: known.pullTime,
    extra_attrs: (known.extraAttrs ?? {}) as Artifact['extra_attrs'],
    annotations: m.manifest.annotations ?? {},
    references: [],
    addition_links: {
      vulnerabilities: { href: `/api/v2.0/projects/${project.name}/repositories/${encodeURIComponent(encodeURIComponent(repository.slice(project.name!.length + 1)))}/artifacts/${m.digest}/additions/vulnerabilities`, absolute: false },
    },
  };
  if (opts.withTag) {
    artifact.tags = entry.tags.map((name) => ({
      id: ctx.state.nextId(),
      repository_id: repo.id,
      artifact_id: known.id,
      name,
      push_time: ctx.state.tagPushTimes.get(`${repository}:${name}`) ?? known.pushTime,
      pull_time: ctx.state.tagPullTimes.get(`${repository}:${name}`) ?? NEVER_PULLED,
      immutable: isImmutable(ctx.state, project.project_id!, repository, name),
    }));
  }
  if (opts.withLabel) artifact.labels = known.labels;
  if (opts.withScanOverview && known.scanOverview) artifact.scan_overview = known.scanOverview;
  if (opts.withAccessory) {
    artifact.accessories = (accessories.get(m.digest) ?? []).map(({ manifest, type }) => ({
      id: ctx.state.artifact(repository, manifest.digest, stamp).id,
      artifact_id: ctx.state.artifact(repository, manifest.digest, stamp).id,
      subject_artifact_id: known.id,
      subject_artifact_digest: m.digest,
      subject_artifact_repo: repository,
      size: sizeOf(manifest),
      digest: manifest.digest,
      type,
      icon: '',
      creation_time: ctx.state.artifact(repository, manifest.digest, stamp).pushTime,
    }));
  }
  return artifact;
}
