import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProjectRecord } from '../db/queries/projects';
import { notFound } from '../lib/failure-types';
import { profiles } from './activity-options';

const db = proxyActivities<Activities>(profiles.database);

/** The catalogue's live project the caller named, or the caller's NotFound. */
export async function requireProject(registry: string, name: string): Promise<ProjectRecord> {
  const project = await db.findProject(registry, name);
  if (!project) throw notFound(`project "${name}" is not in the catalogue of ${registry}`);
  return project;
}

/** The tenant the caller named must exist. */
export async function requireTenant(name: string): Promise<void> {
  if (!(await db.findTenant(name))) throw notFound(`tenant "${name}" does not exist`);
}
