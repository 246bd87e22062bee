import { and, asc, desc, eq, gt, inArray, isNotNull, like, lt, or } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { projects } from '../schema';
import { isoTime } from '../../lib/time';
import { escapeLike, pageOf, sortKeyOf, type Page, type SortKey } from './page';

/** Harbor project settings the service manages (Harbor's project `metadata`). */
export interface ProjectSettings {
  autoScan: boolean;
  contentTrustCosign: boolean;
  preventVulnerable: boolean;
  severity: 'none' | 'low' | 'medium' | 'high' | 'critical';
}

/** A project as the API shows it (the runbook's field names) and workflows return it. */
export interface ProjectRecord {
  id: string;
  name: string;
  displayName: string;
  description: string | null;
  public: boolean;
  tenantId: string;
  registry: string;
  harborId: number | null;
  storageLimit: number | null;
  settings: ProjectSettings | null;
  archived: boolean;
  deletedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Harbor's figures for a project as a workflow last fetched them (`refreshedAt`). */
export interface HarborSummary {
  repoCount: number;
  quotaHard: number | null;
  quotaUsed: number | null;
  refreshedAt: string;
}

/** The row's copy of Harbor's figures; null until a workflow first recorded them. */
export function toHarborSummary(row: typeof projects.$inferSelect): HarborSummary | null {
  const refreshedAt = isoTime(row.harborSummaryRefreshedAt);
  if (refreshedAt === null) return null;
  return { repoCount: row.harborRepositoryCount ?? 0, quotaHard: row.harborQuotaHardBytes, quotaUsed: row.harborQuotaUsedBytes, refreshedAt };
}

export function toProjectRecord(row: typeof projects.$inferSelect): ProjectRecord {
  return {
    id: row.id,
    name: row.name,
    displayName: row.displayName,
    description: row.description,
    public: row.isPublic,
    tenantId: row.tenantId,
    registry: row.harborAddress,
    harborId: row.harborId,
    storageLimit: row.storageLimit,
    settings: (row.settings as ProjectSettings | null) ?? null,
    archived: row.isArchived,
    deletedAt: isoTime(row.deletedAt),
    createdAt: isoTime(row.createdAt)!,
    updatedAt: isoTime(row.updatedAt)!,
  };
}

/** A project with Harbor's figures as a workflow last fetched them (none for an archived one, which may be gone from Harbor). */
export type ProjectDetail = ProjectRecord & { harbor: HarborSummary | null };

/** The live project of that name in that registry, as a condition (writes use it too). */
export const liveProjectWhere = (registry: string, name: string) => and(eq(projects.harborAddress, registry), eq(projects.name, name), eq(projects.isArchived, false));

/** The live project of that name in that registry: the one lookup routes, auth and activities share. */
export async function findLiveProject(db: Db | Tx, registry: string, name: string): Promise<ProjectRecord | null> {
  const [row] = await db.select().from(projects).where(liveProjectWhere(registry, name)).limit(1);
  return row ? toProjectRecord(row) : null;
}

/** The project of that name, live or else the one archived last. */
export async function findProject(db: Db, registry: string, name: string): Promise<ProjectDetail | null> {
  const [row] = await db
    .select()
    .from(projects)
    .where(and(eq(projects.harborAddress, registry), eq(projects.name, name)))
    .orderBy(asc(projects.isArchived), desc(projects.deletedAt))
    .limit(1);
  return row ? { ...toProjectRecord(row), harbor: row.isArchived ? null : toHarborSummary(row) } : null;
}

/** The tenant of a project known by name alone (an operation's search attribute), in any registry. */
export async function findTenantOfProject(db: Db, name: string): Promise<string | null> {
  const [row] = await db.select({ tenant: projects.tenantId }).from(projects).where(eq(projects.name, name)).limit(1);
  return row?.tenant ?? null;
}

export interface ProjectListQuery {
  /** Tenant isolation: projects of these tenants only. */
  tenants: string[];
  tenantId?: string;
  registry?: string;
  namePrefix?: string;
  archived: boolean;
  sort: 'name' | '-name' | 'createdAt' | '-createdAt';
  after?: SortKey;
  limit: number;
}

export async function listProjects(db: Db, q: ProjectListQuery): Promise<Page<ProjectRecord>> {
  const descending = q.sort.startsWith('-');
  const column = q.sort.endsWith('createdAt') ? projects.createdAt : projects.name;
  const beyond = (key: SortKey) =>
    descending ? or(lt(column, key.value), and(eq(column, key.value), lt(projects.id, key.id))) : or(gt(column, key.value), and(eq(column, key.value), gt(projects.id, key.id)));
  const rows = await db
    .select()
    .from(projects)
    .where(
      and(
        eq(projects.isArchived, q.archived),
        inArray(projects.tenantId, q.tenants),
        q.tenantId ? eq(projects.tenantId, q.tenantId) : undefined,
        q.registry ? eq(projects.harborAddress, q.registry) : undefined,
        q.namePrefix ? like(projects.name, `${escapeLike(q.namePrefix)}%`) : undefined,
        q.after ? beyond(q.after) : undefined,
      ),
    )
    .orderBy(descending ? desc(column) : asc(column), descending ? desc(projects.id) : asc(projects.id))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => sortKeyOf(column === projects.name ? r.name : r.createdAt, r.id), toProjectRecord);
}

/** Live projects of the managed registries that have a webhook secret (sealed), for authenticating deliveries. */
export async function listWebhookSecrets(db: Db, registries: string[]): Promise<{ id: string; name: string; registry: string; secret: string }[]> {
  const rows = await db
    .select({ id: projects.id, name: projects.name, registry: projects.harborAddress, secret: projects.webhookSecret })
    .from(projects)
    .where(and(eq(projects.isArchived, false), isNotNull(projects.webhookSecret), inArray(projects.harborAddress, registries)));
  return rows.map((r) => ({ ...r, secret: r.secret! }));
}
