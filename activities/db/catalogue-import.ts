import { and, eq, gt, inArray, lte, or, sql } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { auditEvents, images, models, repositories, signatures, tags, validationResults } from '../../db/schema';

export interface ImportedScan {
  reportId: string;
  scanner: string | null;
  status: string;
  severity: string | null;
  summary: string | null;
  startTime: string | null;
  endTime: string | null;
}

export interface ImportedSignature {
  digest: string;
  harborId: number;
  /** Harbor's accessory type, e.g. `signature.cosign`. */
  type: string;
}

export interface ImportedArtifact {
  digest: string;
  harborId: number;
  tags: { name: string; harborId: number }[];
  /** Harbor's `pull_time` as listed; absent: never pulled (or not read). */
  pulledAt?: string;
  scans?: ImportedScan[];
  signatures?: ImportedSignature[];
}

/** signature_types and validation_statuses rows (migration 0001). */
const SIGNATURE_TYPE_IDS: Record<string, number> = { 'signature.cosign': 1, 'signature.notation': 2 };
const SCAN_STATUS_IDS: Record<string, number> = { Pending: 0, Running: 1, Success: 2, Error: 3, Stopped: 4 };

export interface ImportedRepository {
  /** `project/model` as Harbor names it. */
  fullName: string;
  harborId: number;
  description: string;
  artifacts: ImportedArtifact[];
  /** When its artifacts were listed (ISO); a reconcile leaves alone what the catalogue learned of since. */
  listedAt?: string;
}

type Counts = { models: number; images: number; tags: number };

/**
 * The repository's live row, locked for this transaction: a refresh and the repository's own events
 * may reconcile it at once, one at a time, or both would insert the same image or tag (the reads
 * above the inserts are not locks).
 */
async function lockLiveRepository(tx: Tx, projectId: string, name: string) {
  const [repository] = await tx
    .select()
    .from(repositories)
    .where(and(eq(repositories.projectId, projectId), eq(repositories.name, name), eq(repositories.isArchived, false)))
    .limit(1)
    .for('update');
  return repository;
}

async function liveModel(tx: Tx, repositoryId: string) {
  const [model] = await tx.select().from(models).where(and(eq(models.repositoryId, repositoryId), eq(models.isArchived, false))).limit(1);
  return model;
}

/** The repository's live row (locked) and live model when both exist. */
export async function existingLiveRepository(tx: Tx, projectId: string, fullName: string) {
  const repository = await lockLiveRepository(tx, projectId, fullName.split('/').slice(1).join('/'));
  const model = repository && (await liveModel(tx, repository.id));
  return repository && model ? { repository, model } : null;
}

/** The repository's live row (locked for this transaction) and its live model, created when missing. */
export async function liveRepository(tx: Tx, projectId: string, registry: string, repo: { fullName: string; harborId: number | null; description: string }) {
  const [namespace, ...rest] = repo.fullName.split('/');
  const name = rest.join('/');
  let repository = await lockLiveRepository(tx, projectId, name);
  if (!repository) {
    // Two first reconciliations at once: the second insert waits for the first, then finds its row.
    [repository] = await tx
      .insert(repositories)
      .values({ name, namespace: namespace!, fullName: repo.fullName, harborId: repo.harborId, projectId, harborAddress: registry })
      .onConflictDoNothing()
      .returning();
    repository ??= (await lockLiveRepository(tx, projectId, name))!;
  }
  let model = await liveModel(tx, repository.id);
  let createdModel = false;
  if (!model) {
    [model] = await tx.insert(models).values({ name, description: repo.description || null, projectId, repositoryId: repository.id }).returning();
    createdModel = true;
  }
  return { repository, model: model!, createdModel };
}

interface UpsertedImage {
  imageId: string;
  addedImage: boolean;
  addedTags: number;
  /** Tags archived because Harbor no longer lists them on the image (`exact` mode only). */
  removedTags: number;
}

/**
 * How tags converge: `add` only adds what is missing; `exact` also archives tags Harbor no longer
 * has, and with `listedAt` (a listing older than the transaction) leaves a tag alone that a webhook
 * or a cleanup added or archived after Harbor was listed.
 */
type TagMode = { kind: 'add' } | { kind: 'exact'; listedAt?: string };

/**
 * Makes artifacts' images and tags match Harbor, a few statements for the whole set: adds what is
 * missing, archiving tags as `mode` says. Returns, per digest, its image and what was added.
 */
async function upsertArtifacts(tx: Tx, ids: { repositoryId: string; modelId: string }, list: ImportedArtifact[], mode: TagMode): Promise<Map<string, UpsertedImage>> {
  const artifacts = [...new Map(list.map((a) => [a.digest, a])).values()];
  return new Map(await inChunks(artifacts, async (chunk) => [...(await upsertChunk(tx, ids, chunk, mode))]));
}

/** Items bound per statement: a statement carries at most 65,535 parameters. */
const CHUNK = 1000;

/** `run` over `items` a chunk at a time, one after the other (one transaction's connection), its results joined. */
async function inChunks<T, R>(items: readonly T[], run: (chunk: T[]) => Promise<R[]>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += CHUNK) results.push(...(await run(items.slice(i, i + CHUNK))));
  return results;
}

async function upsertChunk(tx: Tx, ids: { repositoryId: string; modelId: string }, artifacts: ImportedArtifact[], mode: TagMode): Promise<Map<string, UpsertedImage>> {
  const result = new Map<string, UpsertedImage>();
  const digests = artifacts.map((a) => a.digest);
  const found = await tx
    .select({ id: images.id, digest: images.digest, isVerified: images.isVerified })
    .from(images)
    .where(and(eq(images.repositoryId, ids.repositoryId), inArray(images.digest, digests), eq(images.isArchived, false)));
  const byDigest = new Map(found.map((i) => [i.digest, { ...i, added: false }]));
  const missing = artifacts.filter((a) => !byDigest.has(a.digest));
  if (missing.length > 0) {
    const inserted = await tx
      .insert(images)
      .values(missing.map((a) => ({ digest: a.digest, harborId: a.harborId, modelId: ids.modelId, repositoryId: ids.repositoryId })))
      .returning({ id: images.id, digest: images.digest, isVerified: images.isVerified });
    for (const i of inserted) byDigest.set(i.digest, { ...i, added: true });
  }
  const imageIds = [...byDigest.values()].map((i) => i.id);
  const since = mode.kind === 'exact' ? mode.listedAt : undefined;
  const existing = await tx
    .select({ id: tags.id, name: tags.name, imageId: tags.imageId, newer: since ? sql<boolean>`${tags.createdAt} > ${since}` : sql<boolean>`false` })
    .from(tags)
    .where(and(inArray(tags.imageId, imageIds), eq(tags.isArchived, false)));
  // Tags archived since the listing (an untag, a tag moved by a push) are not brought back by it.
  const removedSince = since
    ? await tx.select({ name: tags.name, imageId: tags.imageId }).from(tags).where(and(inArray(tags.imageId, imageIds), eq(tags.isArchived, true), gt(tags.deletedAt, since)))
    : [];
  const newTags: (typeof tags.$inferInsert)[] = [];
  const gone: string[] = [];
  for (const artifact of artifacts) {
    const image = byDigest.get(artifact.digest)!;
    const current = existing.filter((e) => e.imageId === image.id);
    const wanted = new Set(artifact.tags.map((t) => t.name));
    const added = artifact.tags.filter((t) => !current.some((e) => e.name === t.name) && !removedSince.some((r) => r.imageId === image.id && r.name === t.name));
    newTags.push(...added.map((t) => ({ name: t.name, harborId: t.harborId, imageId: image.id })));
    const removed = mode.kind === 'exact' ? current.filter((e) => !wanted.has(e.name) && !e.newer) : [];
    gone.push(...removed.map((e) => e.id));
    result.set(artifact.digest, { imageId: image.id, addedImage: image.added, addedTags: added.length, removedTags: removed.length });
  }
  if (newTags.length > 0) await tx.insert(tags).values(newTags);
  if (gone.length > 0) await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(inArray(tags.id, gone));
  for (const artifact of artifacts) await recordScansAndSignatures(tx, ids.repositoryId, byDigest.get(artifact.digest)!, artifact);
  return result;
}

/** Scan reports (one row per Harbor report id) and signatures (one per signature digest; a signed image is verified). */
async function recordScansAndSignatures(tx: Tx, repositoryId: string, image: { id: string; isVerified: boolean }, artifact: ImportedArtifact): Promise<void> {
  const firstTag = artifact.tags[0]?.name ?? '';
  for (const scan of artifact.scans ?? []) {
    const [known] = await tx.select({ id: validationResults.id }).from(validationResults).where(and(eq(validationResults.imageId, image.id), eq(validationResults.reportRef, scan.reportId))).limit(1);
    const values = {
      scannerName: scan.scanner,
      scanStatus: scan.status,
      scanSeverity: scan.severity,
      scanSummary: scan.summary,
      scanType: 'vulnerability',
      startTime: scan.startTime,
      endTime: scan.endTime,
      statusId: SCAN_STATUS_IDS[scan.status] ?? 0,
    };
    if (known) await tx.update(validationResults).set(values).where(eq(validationResults.id, known.id));
    else await tx.insert(validationResults).values({ ...values, repositoryId, imageId: image.id, tag: firstTag, reportRef: scan.reportId });
  }
  let signed = false;
  for (const signature of artifact.signatures ?? []) {
    const typeId = SIGNATURE_TYPE_IDS[signature.type];
    if (typeId === undefined) continue;
    signed = true;
    const [known] = await tx.select({ id: signatures.id }).from(signatures).where(and(eq(signatures.imageId, image.id), eq(signatures.digest, signature.digest))).limit(1);
    if (!known) {
      await tx.insert(signatures).values({ digest: signature.digest, typeId, harborId: signature.harborId, imageId: image.id, repositoryId, artifactDigest: artifact.digest, artifactId: artifact.harborId });
    }
  }
  if (signed && !image.isVerified) await tx.update(images).set({ isVerified: true }).where(eq(images.id, image.id));
}

export type ArtifactChange = 'added' | 'updated' | 'archived' | 'unchanged';

/**
 * Converges artifacts of a locked repository on what Harbor says now, given per digest (null when
 * Harbor has no such artifact): present → image and tags as Harbor has them; absent → image and
 * its tags archived, the model too when no image is left. Harbor is the reference, so duplicated
 * or reordered events end in the same state.
 */
/**
 * A tag names one version of a repository: a version Harbor lists with a tag another version holds
 * here (a push moved it, whose webhook names only the new one) takes it from that one, unless the
 * catalogue gave it to that one after `listedAt`. The versions that lost a tag.
 */
async function takeMovedTags(tx: Tx, repositoryId: string, present: ImportedArtifact[], listedAt?: string): Promise<{ digest: string; imageId: string }[]> {
  const holder = new Map(present.flatMap((a) => a.tags.map((t): [string, string] => [t.name, a.digest])));
  if (holder.size === 0) return [];
  // A repository may hold more tags than a statement takes parameters.
  const held = await inChunks([...holder.keys()], (names) =>
    tx
      .select({ id: tags.id, name: tags.name, digest: images.digest, imageId: images.id })
      .from(tags)
      .innerJoin(images, eq(images.id, tags.imageId))
      .where(and(eq(images.repositoryId, repositoryId), eq(images.isArchived, false), eq(tags.isArchived, false), inArray(tags.name, names), ...(listedAt ? [lte(tags.createdAt, listedAt)] : []))),
  );
  const moved = held.filter((t) => holder.get(t.name) !== t.digest);
  if (moved.length === 0) return [];
  await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(inArray(tags.id, moved.map((t) => t.id)));
  return [...new Map(moved.map((t) => [t.digest, { digest: t.digest, imageId: t.imageId }])).values()];
}

export async function reconcileArtifactsIn(
  tx: Tx,
  ids: { repositoryId: string; modelId: string },
  views: Map<string, ImportedArtifact | null>,
  listedAt?: string,
): Promise<Map<string, { change: ArtifactChange; imageId?: string }>> {
  const result = new Map<string, { change: ArtifactChange; imageId?: string }>();
  const present = [...views.values()].filter((a): a is ImportedArtifact => a !== null);
  const upserted = await upsertArtifacts(tx, ids, present, { kind: 'exact', listedAt });
  for (const [digest, artifact] of views) {
    const up = artifact && upserted.get(artifact.digest);
    // A version whose tags changed either way is updated (Harbor sends no webhook for a tag's delete: a refresh finds it).
    if (up) result.set(digest, { change: up.addedImage ? 'added' : up.addedTags + up.removedTags > 0 ? 'updated' : 'unchanged', imageId: up.imageId });
  }
  for (const moved of await takeMovedTags(tx, ids.repositoryId, present, listedAt)) {
    if ((result.get(moved.digest)?.change ?? 'unchanged') === 'unchanged') result.set(moved.digest, { change: 'updated', imageId: moved.imageId });
  }
  const absent = [...views.entries()].filter(([, a]) => a === null).map(([digest]) => digest);
  for (const digest of absent) result.set(digest, { change: 'unchanged' });
  if (absent.length === 0) return result;
  const archived = await tx
    .update(images)
    .set({ isArchived: true, deletedAt: sql`now()` })
    .where(and(eq(images.repositoryId, ids.repositoryId), inArray(images.digest, absent), eq(images.isArchived, false)))
    .returning({ id: images.id, digest: images.digest });
  if (archived.length === 0) return result;
  for (const a of archived) result.set(a.digest, { change: 'archived' });
  await tx.update(tags).set({ isArchived: true, deletedAt: sql`now()` }).where(and(inArray(tags.imageId, archived.map((a) => a.id)), eq(tags.isArchived, false)));
  const [left] = await tx.select({ n: sql<number>`count(*)::int` }).from(images).where(and(eq(images.modelId, ids.modelId), eq(images.isArchived, false)));
  if (!left || left.n === 0) await tx.update(models).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(models.id, ids.modelId));
  return result;
}

/**
 * Writes what Harbor holds into the catalogue: a repository is a model, an artifact an image,
 * its tags versions. Adds what is missing and leaves existing rows; run again, nothing changes.
 */
export async function importRepositories(db: Db, input: { projectId: string; registry: string; repositories: ImportedRepository[] }): Promise<Counts> {
  const counts = { models: 0, images: 0, tags: 0 };
  await db.transaction(async (tx) => {
    for (const repo of input.repositories) {
      const { repository, model, createdModel } = await liveRepository(tx, input.projectId, input.registry, repo);
      if (createdModel) counts.models++;
      for (const added of (await upsertArtifacts(tx, { repositoryId: repository.id, modelId: model.id }, repo.artifacts, { kind: 'add' })).values()) {
        counts.images += added.addedImage ? 1 : 0;
        counts.tags += added.addedTags;
      }
    }
  });
  return counts;
}

/** A version a reconcile changed, for its workflow to announce (`tags`: Harbor's, none once archived). */
export interface ImageChange {
  digest: string;
  change: Exclude<ArtifactChange, 'unchanged'>;
  tags: string[];
}

export type RepositoryReconciled = { added: number; updated: number; archived: number; changes: ImageChange[] };

/**
 * Where a reconcile records what it changed, in its own transaction (an audit row under `key`), so
 * that a retry whose first attempt committed but lost its answer (a worker killed, a time-out)
 * reports those changes rather than the nothing it finds left to do. `retry`: not the first attempt.
 */
export interface ReconcileRecord {
  key: string;
  resource: string;
  retry: boolean;
}

const summarized = (changes: ImageChange[]): RepositoryReconciled => {
  const count = (change: ImageChange['change']) => changes.filter((c) => c.change === change).length;
  return { added: count('added'), updated: count('updated'), archived: count('archived'), changes };
};

/**
 * Changes as the catalogue holds them now: a version's tags as they are (a refresh's listing may be
 * minutes older than a webhook that re-tagged it since), and none a later change undid (a retry's
 * recorded `added` of a version a webhook archived meanwhile).
 */
async function asTheyAre(tx: Tx, repositoryId: string | undefined, changes: ImageChange[]): Promise<ImageChange[]> {
  if (changes.length === 0 || repositoryId === undefined) return changes;
  const rows = await inChunks(changes, (chunk) =>
    tx
      .select({ digest: images.digest, tag: tags.name })
      .from(images)
      .leftJoin(tags, and(eq(tags.imageId, images.id), eq(tags.isArchived, false)))
      .where(and(eq(images.repositoryId, repositoryId), eq(images.isArchived, false), inArray(images.digest, chunk.map((c) => c.digest)))),
  );
  const live = new Map<string, string[]>();
  for (const r of rows) live.set(r.digest, [...(live.get(r.digest) ?? []), ...(r.tag === null ? [] : [r.tag])]);
  return changes.flatMap((c) => (c.change === 'archived' ? (live.has(c.digest) ? [] : [c]) : live.has(c.digest) ? [{ ...c, tags: live.get(c.digest)! }] : []));
}

/**
 * What to report: this attempt's changes over what an earlier attempt recorded (this one's win),
 * recorded in turn, as the catalogue holds them now.
 */
async function reported(tx: Tx, record: ReconcileRecord | undefined, now: ImageChange[], repositoryId: string | undefined): Promise<RepositoryReconciled> {
  const [earlier] = record?.retry ? await tx.select({ details: auditEvents.details }).from(auditEvents).where(eq(auditEvents.eventKey, record.key)) : [];
  const byDigest = new Map(((earlier?.details as { changes?: ImageChange[] } | undefined)?.changes ?? []).map((c) => [c.digest, c]));
  for (const c of now) byDigest.set(c.digest, c);
  const all = [...byDigest.values()];
  if (record && all.length > 0) {
    const details = { changes: all };
    await tx.insert(auditEvents).values({ eventKey: record.key, action: 'model.reconciled', resource: record.resource, details }).onConflictDoUpdate({ target: auditEvents.eventKey, set: { details } });
  }
  return summarized(await asTheyAre(tx, repositoryId, all));
}

/** Converges a live repository's rows on Harbor's list of its artifacts (empty: Harbor has none, or no such repository). */
async function convergeRepository(tx: Tx, live: { repository: { id: string }; model: { id: string } }, repo: Pick<ImportedRepository, 'artifacts' | 'listedAt'>): Promise<ImageChange[]> {
  // Harbor's view of every digest: what it lists, and null for live images it no longer has.
  const views = new Map<string, ImportedArtifact | null>(repo.artifacts.map((a) => [a.digest, a]));
  const liveImages = await tx.select({ digest: images.digest }).from(images).where(and(eq(images.repositoryId, live.repository.id), eq(images.isArchived, false)));
  for (const { digest } of liveImages) if (!views.has(digest)) views.set(digest, null);
  // A push or a delete taken after Harbor was listed (its webhook, a cleanup) is newer than the listing:
  // an older listing neither archives what came since nor brings back what went since. No allowance for
  // the worker's clock against PostgreSQL's: one would keep a version deleted in Harbor just before the
  // listing (a refresh right after) until the next refresh.
  if (repo.listedAt) {
    const since = repo.listedAt;
    const newer = await tx.select({ digest: images.digest }).from(images).where(and(eq(images.repositoryId, live.repository.id), or(gt(images.createdAt, since), gt(images.deletedAt, since))));
    for (const { digest } of newer) views.delete(digest);
  }
  const changes = await reconcileArtifactsIn(tx, { repositoryId: live.repository.id, modelId: live.model.id }, views, repo.listedAt);
  // A repository Harbor lists with no artifact at all is not a model, even one that never had an image
  // (unless a push since gave it one).
  if (repo.artifacts.length === 0) {
    const [left] = await tx.select({ n: sql<number>`count(*)::int` }).from(images).where(and(eq(images.modelId, live.model.id), eq(images.isArchived, false)));
    if (!left || left.n === 0) await tx.update(models).set({ isArchived: true, deletedAt: sql`now()` }).where(eq(models.id, live.model.id));
  }
  // Tags: as the catalogue holds them once reported (asTheyAre).
  return [...changes].flatMap(([digest, c]): ImageChange[] => (c.change === 'unchanged' ? [] : [{ digest, change: c.change, tags: [] }]));
}

/**
 * Converges one repository on Harbor's full list of its artifacts: adds and re-tags what is
 * listed, archives live images Harbor no longer has (repairing lost webhooks).
 */
export async function reconcileRepositoryRows(db: Db, input: { projectId: string; registry: string; repository: ImportedRepository }, record?: ReconcileRecord): Promise<RepositoryReconciled> {
  return db.transaction(async (tx) => {
    const live = await liveRepository(tx, input.projectId, input.registry, input.repository);
    return reported(tx, record, await convergeRepository(tx, live, input.repository), live.repository.id);
  });
}

/**
 * A repository Harbor has none of (deleted, its webhooks lost): its live images, their tags and its
 * model archived, except what the catalogue learned of after `checkedAt` (when Harbor was asked).
 * Null when the catalogue has no live model there either: nothing is made for it.
 */
export async function archiveAbsentRepositoryRows(db: Db, input: { projectId: string; fullName: string; checkedAt: string }, record?: ReconcileRecord): Promise<RepositoryReconciled | null> {
  return db.transaction(async (tx) => {
    const live = await existingLiveRepository(tx, input.projectId, input.fullName);
    // A retry finds no live model when its first attempt archived the last version: what that attempt recorded.
    const now = live ? await convergeRepository(tx, live, { artifacts: [], listedAt: input.checkedAt }) : [];
    const all = await reported(tx, record, now, live?.repository.id);
    return live || all.changes.length > 0 ? all : null;
  });
}

/** The full names (`project/model`) of a project's live repositories that have a live model. */
export async function liveRepositoryNames(db: Db, projectId: string): Promise<string[]> {
  const rows = await db
    .select({ fullName: repositories.fullName })
    .from(repositories)
    .innerJoin(models, and(eq(models.repositoryId, repositories.id), eq(models.isArchived, false)))
    .where(and(eq(repositories.projectId, projectId), eq(repositories.isArchived, false)));
  return rows.map((r) => r.fullName);
}
