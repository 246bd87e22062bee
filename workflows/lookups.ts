import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ProjectRecord } from '../db/queries/projects';
import { failedPrecondition, FailureType, notFound, translateFailure } from '../lib/failure-types';
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

/**
 * A Harbor step on a catalogued project: Harbor's 404 means the project is gone from Harbor while
 * the catalogue still has it, a state the caller can resolve (delete or register it again), so a
 * FailedPrecondition (409) saying so rather than an upstream failure or a 404 for a project GET still shows.
 */
export function onCataloguedProject<T>(step: Promise<T>, registry: string, name: string): Promise<T> {
  return translateFailure(step, FailureType.HarborNotFound, () =>
    failedPrecondition(`project "${name}" is in the catalogue but gone from Harbor ${registry}: delete it here (DELETE /api/v1/projects/${name}) or create it in Harbor and register it again`),
  );
}
