import { globMatches } from '../replication';
import { compareCore, compareSemver, isPrerelease, parseSemver, type SemVer } from './semver';
import type { CleanupArtifact, CleanupCandidate, CleanupInput, CleanupProtection, CleanupReport, CleanupRule, ProtectedVersion, Selection } from './types';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface Artifact {
  source: CleanupArtifact;
  pushedAt: number;
  pulledAt: number | undefined;
  archivedAt: number | undefined;
  /** Tags oldest push first (the order a run untags them in); one version with `tag` null when untagged. */
  versions: Version[];
  /** Its blobs once each: digest → size. */
  blobs: Map<string, number>;
}

interface Version {
  artifact: Artifact;
  tag: string | null;
  pushedAt: number;
  immutable: boolean;
  semver: SemVer | null;
  selectedBy: Selection[];
}

/** Milliseconds, NaN when unreadable: an age compared with NaN is never "older than", so nothing unreadable is selected. */
const time = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso));
/** The order key of a time: unreadable ones last. */
const orderKey = (t: number) => (Number.isNaN(t) ? Infinity : t);
const compare = (a: number | string, b: number | string) => (a < b ? -1 : a > b ? 1 : 0);
const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;
const date = (t: number) => new Date(t).toISOString().slice(0, 10);

function toArtifact(source: CleanupArtifact): Artifact {
  const blobs = new Map<string, number>();
  for (const blob of source.blobs) blobs.set(blob.digest, Math.max(blob.size, blobs.get(blob.digest) ?? 0));
  const artifact: Artifact = { source, pushedAt: time(source.pushedAt)!, pulledAt: time(source.pulledAt), archivedAt: time(source.modelArchivedAt), versions: [], blobs };
  const version = (tag: string | null, pushedAt: number, immutable: boolean): Version => ({ artifact, tag, pushedAt, immutable, semver: tag === null ? null : parseSemver(tag), selectedBy: [] });
  artifact.versions =
    source.tags.length === 0
      ? [version(null, artifact.pushedAt, false)]
      : source.tags
          .map((t) => version(t.name, time(t.pushedAt)!, t.immutable))
          .sort((a, b) => compare(orderKey(a.pushedAt), orderKey(b.pushedAt)) || compare(a.tag!, b.tag!));
  return artifact;
}

/** Newest first: highest precedence; equal precedence (`1.0.0`, `v1.0.0`, `1.0.0+b2`) by push, then by name. */
const newestRelease = (a: Version, b: Version) => -compareSemver(a.semver!, b.semver!) || -compare(orderKey(a.pushedAt), orderKey(b.pushedAt)) || -compare(a.tag!, b.tag!);
const newestPushed = (a: Version, b: Version) => -compare(orderKey(a.pushedAt), orderKey(b.pushedAt)) || -compare(a.tag!, b.tag!);

const lineOf = (v: SemVer, per: 'model' | 'major' | 'minor') => (per === 'model' ? '' : per === 'major' ? `${v.major}.x` : `${v.major}.${v.minor}.x`);

/** Applies every rule of the policy to one model's versions, recording each selection on the version. */
function selectInModel(model: string, artifacts: Artifact[], rules: CleanupRule[], now: number) {
  const versions = artifacts.flatMap((a) => a.versions);
  const tagged = versions.filter((v) => v.tag !== null);
  const releases = tagged.filter((v) => v.semver && !isPrerelease(v.semver)).sort(newestRelease);
  const ascendingReleases = [...releases].reverse();
  const ago = (t: number) => now - t;

  for (const [index, rule] of rules.entries()) {
    if (rule.models !== undefined && !globMatches(rule.models, model)) continue;
    const select = (v: Version, reason: string) => v.selectedBy.push({ index, kind: rule.kind, reason });
    switch (rule.kind) {
      case 'keep_newest': {
        const seen = new Map<string, number>();
        for (const v of releases) {
          const line = lineOf(v.semver!, rule.per);
          const rank = (seen.get(line) ?? 0) + 1;
          seen.set(line, rank);
          if (rank > rule.count) select(v, `release ${v.tag} is older than the newest ${rule.count} of ${line ? `line ${line}` : `model ${model}`}`);
        }
        break;
      }
      case 'prereleases':
        for (const v of tagged) {
          if (!v.semver || !isPrerelease(v.semver) || !(ago(v.pushedAt) > rule.olderThanDays * DAY)) continue;
          const release = lowestReleaseFrom(ascendingReleases, v.semver);
          if (release) select(v, `pre-release ${v.tag} is superseded by release ${release.tag}, pushed ${plural(Math.floor(ago(v.pushedAt) / DAY), 'day')} ago`);
        }
        break;
      case 'not_pulled':
        for (const v of tagged) {
          const { pulledAt } = v.artifact;
          const limit = rule.days * DAY;
          if (!(ago(v.pushedAt) > limit) || (pulledAt !== undefined && !(ago(pulledAt) > limit))) continue;
          const pulled = pulledAt === undefined ? 'never pulled' : `not pulled for ${plural(Math.floor(ago(pulledAt) / DAY), 'day')} (last pull ${date(pulledAt)})`;
          select(v, `${pulled}, pushed ${plural(Math.floor(ago(v.pushedAt) / DAY), 'day')} ago`);
        }
        break;
      case 'untagged':
        for (const v of versions) {
          if (v.tag === null && ago(v.pushedAt) > rule.olderThanHours * HOUR) select(v, `untagged, pushed ${plural(Math.floor(ago(v.pushedAt) / HOUR), 'hour')} ago`);
        }
        break;
      case 'archived_models':
        for (const v of versions) {
          const { archivedAt } = v.artifact;
          if (archivedAt !== undefined && ago(archivedAt) > rule.afterDays * DAY) select(v, `model archived ${plural(Math.floor(ago(archivedAt) / DAY), 'day')} ago (${date(archivedAt)})`);
        }
        break;
    }
  }
}

/** The lowest release whose core is at or above the pre-release's (a binary search: releases ascend). */
function lowestReleaseFrom(ascending: Version[], prerelease: SemVer): Version | undefined {
  let [lo, hi] = [0, ascending.length];
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareCore(ascending[mid]!.semver!, prerelease) < 0) lo = mid + 1;
    else hi = mid;
  }
  return ascending[lo];
}

/**
 * The version `latest_release` protects in a live model: its highest-precedence release, or, with
 * none, its most recently pushed tag. Models archived in the catalogue have none: purging what is
 * left of them is what `archived_models` is for.
 */
function latestRelease(artifacts: Artifact[]): Version | undefined {
  if (artifacts.every((a) => a.archivedAt !== undefined)) return undefined;
  const tagged = artifacts.flatMap((a) => a.versions).filter((v) => v.tag !== null);
  const releases = tagged.filter((v) => v.semver && !isPrerelease(v.semver));
  return releases.length > 0 ? releases.sort(newestRelease)[0] : tagged.sort(newestPushed)[0];
}

/** Every protection of a version, in the order of CLEANUP_PROTECTIONS; an untagged artifact's only from its artifact. */
function protectionsOf(v: Version, latest: Version | undefined, keepLabel: string): CleanupProtection[] {
  const { source } = v.artifact;
  const found: CleanupProtection[] = [];
  if (v === latest) found.push('latest_release');
  if (source.approved) found.push('approved');
  if (source.promoted) found.push('promoted');
  if (source.labels.includes(keepLabel)) found.push('label');
  if (v.tag !== null && v.immutable) found.push('immutable');
  return found;
}

/**
 * Applies a cleanup policy to a project's artifacts: which versions go (and how: untag or delete,
 * in the order a run takes them), which a protection saves, what it all frees. Pure and
 * deterministic: the input's order does not matter, everything emitted is sorted.
 */
export function selectCleanup(input: CleanupInput): CleanupReport {
  const now = Date.parse(input.now);
  const { policy } = input;
  // Per model, oldest push first: the order candidates are listed and removed in.
  const artifacts = input.artifacts.map(toArtifact).sort((a, b) => compare(a.source.model, b.source.model) || compare(orderKey(a.pushedAt), orderKey(b.pushedAt)) || compare(a.source.digest, b.source.digest));
  const byModel = new Map<string, Artifact[]>();
  for (const a of artifacts) {
    const list = byModel.get(a.source.model);
    if (list) list.push(a);
    else byModel.set(a.source.model, [a]);
  }

  const protections = new Map<Version, CleanupProtection[]>();
  for (const [model, modelArtifacts] of byModel) {
    selectInModel(model, modelArtifacts, policy.rules, now);
    const latest = latestRelease(modelArtifacts);
    for (const v of modelArtifacts.flatMap((a) => a.versions)) {
      if (v.selectedBy.length > 0) protections.set(v, protectionsOf(v, latest, policy.keepLabel));
    }
  }
  const isCandidate = (v: Version) => protections.get(v)?.length === 0;

  const candidates: CleanupCandidate[] = [];
  const artifactOf = new Map<CleanupCandidate, Artifact>();
  // One artifact whose layers are unknown may share any other's: every freed figure is then an estimate.
  const blobsUnknown = artifacts.some((a) => a.source.blobsUnknown === true);
  const protectedVersions: ProtectedVersion[] = [];
  let kept = 0;
  for (const artifact of artifacts) {
    let sizeBytes = 0;
    for (const size of artifact.blobs.values()) sizeBytes += size;
    const goes = artifact.versions.filter(isCandidate);
    // Only when every tag goes does the artifact go; until then each goes by an untag.
    const deletes = goes.length === artifact.versions.length;
    for (const v of artifact.versions) {
      const ref = { model: artifact.source.model, tag: v.tag, digest: artifact.source.digest };
      const found = protections.get(v);
      if (found === undefined) kept++;
      else if (found.length > 0) protectedVersions.push({ ...ref, protections: found, selectedBy: v.selectedBy });
      else {
        const action = deletes && v === goes.at(-1) ? 'delete' : 'untag';
        const candidate: CleanupCandidate = { ...ref, selectedBy: v.selectedBy, action, sizeBytes, freesBytes: 0, freesBytesEstimated: action === 'delete' && blobsUnknown };
        candidates.push(candidate);
        artifactOf.set(candidate, artifact);
      }
    }
  }

  const deleted = new Set(candidates.filter((c) => c.action === 'delete').map((c) => artifactOf.get(c)!));
  // Per blob: how many deleted artifacts hold it, and whether one that stays does.
  const holders = new Map<string, { size: number; deleted: number; stays: boolean }>();
  for (const artifact of artifacts) {
    const goes = deleted.has(artifact);
    for (const [digest, size] of artifact.blobs) {
      const h = holders.get(digest);
      if (h === undefined) holders.set(digest, { size, deleted: goes ? 1 : 0, stays: !goes });
      else {
        h.size = Math.max(h.size, size);
        if (goes) h.deleted++;
        else h.stays = true;
      }
    }
  }
  let freesBytes = 0;
  for (const h of holders.values()) if (h.deleted > 0 && !h.stays) freesBytes += h.size;
  // A freed blob that several deleted artifacts share is counted in the totals once and in no
  // single candidate: deleting any one of them alone would not free it.
  for (const c of candidates) {
    if (c.action !== 'delete') continue;
    for (const digest of artifactOf.get(c)!.blobs.keys()) {
      const h = holders.get(digest)!;
      if (h.deleted === 1 && !h.stays) c.freesBytes += h.size;
    }
  }

  return {
    candidates,
    protected: protectedVersions,
    totals: {
      candidates: candidates.length,
      protected: protectedVersions.length,
      kept,
      // The deleted artifacts' bytes, each once (an artifact that only loses tags stays).
      sizeBytes: candidates.reduce((sum, c) => sum + (c.action === 'delete' ? c.sizeBytes : 0), 0),
      freesBytes,
      freesBytesEstimated: candidates.some((c) => c.freesBytesEstimated),
    },
  };
}
