import { and, asc, desc, eq, like, not, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { images, modelOverrides, models, modelTypes, projects, signatures, tags, validationResults } from '../schema';
import { isoTime } from '../../lib/time';
import { escapeLike, pageOf, sortKeyOf, type Page, type SortKey } from './page';
import { liveProjectWhere, toProjectRecord, type ProjectRecord } from './projects';
import { perDatabase } from '../per-database';

/** A model as the API shows it. */
export interface ModelRecord {
  id: string;
  name: string;
  /** Model type code, `unknown` when the artifact does not say. */
  type: string;
  project: string;
  registry: string;
  displayName: string | null;
  description: string | null;
  author: string | null;
  organization: string | null;
  license: string | null;
  url: string | null;
  labels: string[];
  archived: boolean;
  createdAt: string | null;
}

export interface ModelRef {
  registry: string;
  project: string;
  model: string;
}

type ModelRow = typeof models.$inferSelect;

/** The model types are lookup rows fixed by migration: read once per database. */
const typeCodesOf = perDatabase((db) => db.select().from(modelTypes).then((rows) => new Map(rows.map((r) => [r.id, r.code]))));
async function typeCode(db: Db, id: number): Promise<string> {
  return (await typeCodesOf(db)).get(id) ?? 'unknown';
}

async function toModelRecord(db: Db, m: ModelRow, project: string, registry: string): Promise<ModelRecord> {
  return {
    id: m.id,
    name: m.name,
    type: await typeCode(db, m.typeId),
    project,
    registry,
    displayName: m.displayName,
    description: m.description,
    author: m.author,
    organization: m.organization,
    license: m.license,
    url: m.url,
    labels: m.tags ?? [],
    archived: m.isArchived,
    createdAt: isoTime(m.creationDate),
  };
}

/**
 * The live model of a live project, with its project: the one lookup routes and activities share.
 * `forUpdate` locks both rows for the caller's transaction.
 */
export async function findLiveModelRow(db: Db | Tx, ref: ModelRef, opts: { forUpdate?: boolean } = {}): Promise<{ project: ProjectRecord; model: ModelRow } | null> {
  const query = db
    .select({ project: projects, model: models })
    .from(models)
    .innerJoin(projects, eq(projects.id, models.projectId))
    .where(and(liveProjectWhere(ref.registry, ref.project), eq(models.name, ref.model), eq(models.isArchived, false)))
    .limit(1)
    .$dynamic();
  const [row] = await (opts.forUpdate ? query.for('update') : query);
  return row ? { project: toProjectRecord(row.project), model: row.model } : null;
}

export async function findLiveModel(db: Db, ref: ModelRef): Promise<{ project: ProjectRecord; model: ModelRecord } | null> {
  const row = await findLiveModelRow(db, ref);
  return row && { project: row.project, model: await toModelRecord(db, row.model, ref.project, ref.registry) };
}

/** A model as GET answers it: its row, live tags and custom metadata. */
export interface ModelDetailRow {
  model: ModelRecord;
  /** Live tags with their images' digests, in no particular order. */
  tags: { tag: string; digest: string }[];
  customMetadata: Record<string, string>;
}

/** The whole read in one statement, built once per database and prepared on each connection (a read per request pays no query building). */
function prepareDetail(db: Db) {
  return db
    .select({
      model: models,
      tags: sql<{ tag: string; digest: string }[]>`coalesce((select json_agg(json_build_object('tag', ${tags.name}, 'digest', ${images.digest})) from ${tags} join ${images} on ${images.id} = ${tags.imageId} where ${images.modelId} = ${models.id} and not ${images.isArchived} and not ${tags.isArchived}), '[]'::json)`,
      customMetadata: modelOverrides.customMetadata,
    })
    .from(models)
    // A join also makes drizzle qualify every column, which the tags subquery needs.
    .leftJoin(modelOverrides, eq(modelOverrides.modelId, models.id))
    .where(and(eq(models.projectId, sql.placeholder('projectId')), eq(models.name, sql.placeholder('name')), eq(models.isArchived, false)))
    .limit(1)
    .prepare('model_detail');
}
const detailStatementOf = perDatabase(prepareDetail);

/** The live model `name` of a project (already known live), with its live tags and custom metadata, in one round trip. */
export async function findModelDetail(db: Db, project: { id: string; name: string; registry: string }, name: string): Promise<ModelDetailRow | null> {
  const statement = detailStatementOf(db);
  const [row] = await statement.execute({ projectId: project.id, name });
  return row ? { model: await toModelRecord(db, row.model, project.name, project.registry), tags: row.tags, customMetadata: row.customMetadata ?? {} } : null;
}

/** A model's live tags with their images' digests, in no particular order. */
export async function liveTagsOf(db: Db, modelId: string): Promise<{ tag: string; digest: string }[]> {
  return db
    .select({ tag: tags.name, digest: images.digest })
    .from(tags)
    .innerJoin(images, eq(images.id, tags.imageId))
    .where(and(eq(images.modelId, modelId), eq(images.isArchived, false), eq(tags.isArchived, false)));
}

export interface ModelListQuery {
  archived: boolean;
  namePrefix?: string;
  author?: string;
  type?: string;
  label?: string;
  hasSignature?: boolean;
  /** Lower-case scan severities. */
  severities?: string[];
  sort: 'name' | '-name' | 'createdAt' | '-createdAt';
  after?: SortKey;
  limit: number;
}

/** Which filters a list has, and its sort: all its statement depends on. */
type ListShape = Pick<ModelListQuery, 'sort' | 'hasSignature'> & Record<'namePrefix' | 'author' | 'type' | 'label' | 'severities' | 'after', boolean>;

function prepareList(db: Db, shape: ListShape, name: string) {
  const descending = shape.sort.startsWith('-');
  // Models without a creation date sort as the epoch, so the keyset stays total.
  const column = shape.sort.endsWith('createdAt') ? sql<string>`coalesce(${models.creationDate}, 'epoch'::timestamptz)` : sql<string>`${models.name}`;
  const key = sql`(${sql.placeholder('afterValue')}, ${sql.placeholder('afterId')})`;
  const signed = sql`exists (select 1 from ${signatures} join ${images} on ${images.id} = ${signatures.imageId} where ${images.modelId} = ${models.id} and not ${images.isArchived} and not ${signatures.isArchived})`;
  return db
    .select({ model: models, sortValue: sql<string>`${column}::text` })
    .from(models)
    .where(
      and(
        eq(models.projectId, sql.placeholder('projectId')),
        eq(models.isArchived, sql.placeholder('archived')),
        // LIKE with a parameter cannot use an index in a prepared statement's generic plan; the byte-wise range
        // (text_pattern_ops: IX_models_project_name_prefix) can, and LIKE still decides. Names are Harbor
        // repository names (ASCII), so each one that starts with the prefix sorts below prefix + U+10FFFF.
        shape.namePrefix
          ? and(sql`${models.name} ~>=~ ${sql.placeholder('namePrefixFrom')}`, sql`${models.name} ~<~ ${sql.placeholder('namePrefixTo')}`, like(models.name, sql.placeholder('namePrefix')))
          : undefined,
        shape.author ? eq(models.author, sql.placeholder('author')) : undefined,
        shape.type ? sql`${models.typeId} = (select ${modelTypes.id} from ${modelTypes} where ${modelTypes.code} = ${sql.placeholder('type')})` : undefined,
        shape.label ? sql`${models.tags} @> ${sql.placeholder('labels')}` : undefined,
        shape.hasSignature === undefined ? undefined : shape.hasSignature ? signed : not(signed),
        shape.severities
          ? sql`exists (select 1 from ${validationResults} join ${images} on ${images.id} = ${validationResults.imageId} where ${images.modelId} = ${models.id} and not ${images.isArchived} and lower(${validationResults.scanSeverity}) = any(${sql.placeholder('severities')}))`
          : undefined,
        shape.after ? (descending ? sql`(${column}, ${models.id}) < ${key}` : sql`(${column}, ${models.id}) > ${key}`) : undefined,
      ),
    )
    .orderBy(descending ? desc(column) : asc(column), descending ? desc(models.id) : asc(models.id))
    .limit(sql.placeholder('limit'))
    .prepare(name);
}
/**
 * Each list shape's statement, built once per database and prepared, its values bound as parameters
 * (a list pays no query building).
 */
const listStatementsOf = perDatabase(() => new Map<string, ReturnType<typeof prepareList>>());

export async function listModels(db: Db, project: { id: string; name: string; registry: string }, q: ModelListQuery): Promise<Page<ModelRecord>> {
  const shape: ListShape = {
    sort: q.sort,
    hasSignature: q.hasSignature,
    namePrefix: Boolean(q.namePrefix),
    author: Boolean(q.author),
    type: Boolean(q.type),
    label: Boolean(q.label),
    severities: q.severities !== undefined,
    after: q.after !== undefined,
  };
  const shapeKey = JSON.stringify(shape);
  const statements = listStatementsOf(db);
  let statement = statements.get(shapeKey);
  if (!statement) statements.set(shapeKey, (statement = prepareList(db, shape, `models_list_${statements.size}`)));
  const rows = await statement.execute({
    projectId: project.id,
    archived: q.archived,
    namePrefix: q.namePrefix ? `${escapeLike(q.namePrefix)}%` : undefined,
    namePrefixFrom: q.namePrefix,
    namePrefixTo: q.namePrefix ? `${q.namePrefix}\u{10FFFF}` : undefined,
    author: q.author,
    type: q.type,
    labels: q.label ? [q.label] : undefined,
    severities: q.severities,
    afterValue: q.after?.value,
    afterId: q.after?.id,
    limit: q.limit + 1,
  });
  const page = pageOf(rows, q.limit, (r) => sortKeyOf(r.sortValue, r.model.id), (r) => r.model);
  return { items: await Promise.all(page.items.map((m) => toModelRecord(db, m, project.name, project.registry))), next: page.next };
}
