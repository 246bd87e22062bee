import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Db, Tx } from '../client';
import { auditEvents, images, modelVersionLocations, projects, remoteRegistries, replicationExecutions } from '../schema';
import type { Approval } from '../../lib/promotion';
import type { LocationStatus } from '../../lib/replication';
import { isoTime } from '../../lib/time';
import { pageOf, type Page } from './page';

/** Where a version lives besides the local Harbor, as the API shows it. */
export interface VersionLocation {
  remoteRegistry: string;
  remoteRepository: string;
  /** The digest the remote registry served when last checked. */
  digest: string | null;
  status: LocationStatus;
  detail: string | null;
  /** Harbor's execution id of the replication that put it there, when one did. */
  harborExecutionId: number | null;
  updatedAt: string;
}

const locationColumns = {
  remoteRegistry: remoteRegistries.name,
  remoteRepository: modelVersionLocations.remoteRepository,
  digest: modelVersionLocations.remoteDigest,
  status: sql<LocationStatus>`${modelVersionLocations.status}`,
  detail: modelVersionLocations.detail,
  harborExecutionId: replicationExecutions.harborExecutionId,
  updatedAt: modelVersionLocations.updatedAt,
};
const toLocation = (r: { updatedAt: string } & Omit<VersionLocation, 'updatedAt'>): VersionLocation => ({ ...r, updatedAt: isoTime(r.updatedAt) ?? r.updatedAt });

/** A version's locations (live remote registries only), by remote registry and repository. */
export async function versionLocations(db: Db | Tx, v: { projectId: string; model: string; tag: string }): Promise<VersionLocation[]> {
  const rows = await db
    .select(locationColumns)
    .from(modelVersionLocations)
    .innerJoin(remoteRegistries, eq(remoteRegistries.id, modelVersionLocations.remoteRegistryId))
    .leftJoin(replicationExecutions, eq(replicationExecutions.id, modelVersionLocations.executionId))
    .where(and(eq(modelVersionLocations.projectId, v.projectId), eq(modelVersionLocations.modelName, v.model), eq(modelVersionLocations.tag, v.tag), eq(remoteRegistries.isArchived, false)))
    .orderBy(asc(remoteRegistries.name), asc(modelVersionLocations.remoteRepository));
  return rows.map(toLocation);
}

/** A model version found on a remote registry, as `GET /registries/{name}/models` lists it. */
export interface RemoteModelVersion extends Omit<VersionLocation, 'remoteRegistry'> {
  project: string;
  model: string;
  tag: string;
}

/** What a remote registry holds of the projects of `tenants`, by row id after `after`. */
export async function listRemoteModels(db: Db, remoteRegistryId: string, q: { tenants: string[]; after?: string; limit: number }): Promise<Page<RemoteModelVersion>> {
  if (q.tenants.length === 0) return { items: [], next: null };
  const rows = await db
    .select({ id: modelVersionLocations.id, project: projects.name, model: modelVersionLocations.modelName, tag: modelVersionLocations.tag, ...locationColumns })
    .from(modelVersionLocations)
    .innerJoin(projects, eq(projects.id, modelVersionLocations.projectId))
    .innerJoin(remoteRegistries, eq(remoteRegistries.id, modelVersionLocations.remoteRegistryId))
    .leftJoin(replicationExecutions, eq(replicationExecutions.id, modelVersionLocations.executionId))
    .where(and(eq(modelVersionLocations.remoteRegistryId, remoteRegistryId), inArray(projects.tenantId, q.tenants), eq(projects.isArchived, false), q.after === undefined ? undefined : gt(modelVersionLocations.id, q.after)))
    .orderBy(asc(modelVersionLocations.id))
    .limit(q.limit + 1);
  return pageOf(rows, q.limit, (r) => r.id, (r) => ({
    project: r.project,
    model: r.model,
    tag: r.tag,
    remoteRepository: r.remoteRepository,
    digest: r.digest,
    status: r.status,
    detail: r.detail,
    harborExecutionId: r.harborExecutionId,
    updatedAt: isoTime(r.updatedAt) ?? r.updatedAt,
  }));
}

/** The account that pushed a digest of a model, as Harbor's push event named it (the catalogue's audit trail). */
export async function pusherOf(db: Db, resource: string, digest: string): Promise<string | null> {
  const [row] = await db
    .select({ actor: auditEvents.actor })
    .from(auditEvents)
    .where(and(eq(auditEvents.resource, resource), eq(auditEvents.action, 'model.push_artifact'), sql`${auditEvents.details}->>'digest' = ${digest}`))
    .orderBy(desc(auditEvents.occurredAt))
    .limit(1);
  return row?.actor ?? null;
}

/** Whether an image is approved for promotion, by whom and when. */
export async function imageApproval(db: Db, imageId: string): Promise<Approval> {
  const [row] = await db.select({ approved: images.isApproved, digest: images.digest, approvedBy: images.approvedBy, approvedAt: images.approvedAt }).from(images).where(eq(images.id, imageId));
  return { approved: row?.approved ?? false, digest: row?.digest ?? '', approvedBy: row?.approvedBy ?? null, approvedAt: isoTime(row?.approvedAt ?? null) };
}
