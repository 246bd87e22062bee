import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import { runUnderBusinessKey } from './business-key';
import { recordHarborSummary } from './harbor-summary';
import { refreshWorkflowId } from '../lib/workflow-ids';
import type { Activities } from '../activities';
import type { ImageChange } from '../activities/db/catalogue-import';
import { FailureType, notFound, translateFailure } from '../lib/failure-types';
import { profiles } from './activity-options';
import { imageChangeEvents } from './image-events';
import { onCataloguedProject, requireProject } from './lookups';

const harborBulk = proxyActivities<Activities>(profiles.harborBulk);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

/** Runs from before this patch reconciled only the repositories Harbor listed. */
const UNLISTED_PATCH = 'refresh-reconciles-unlisted';

/** Runs from before this patch announced only the summary (`model.refreshed`). */
const ANNOUNCE_PATCH = 'refresh-announces-images';

export interface RefreshInput {
  registry: string;
  project: string;
  /** One model (repository); the whole project when absent. */
  model?: string;
}

export interface RefreshResult {
  repositories: { name: string; added: number; updated: number; archived: number }[];
}

/**
 * The runbook's model refresh: lists Harbor's repositories and artifacts (all pages) and
 * converges the catalogue — adds what is missing, re-tags, archives what Harbor no longer has.
 * It repairs whatever a lost webhook missed.
 */
export async function refreshWorkflow(input: RefreshInput): Promise<RefreshResult> {
  const project = await requireProject(input.registry, input.project);
  const missing = () => notFound(`Harbor has no repository "${input.project}/${input.model}"`);
  const listing = harborBulk.listHarborRepositories(input.registry, input.project, input.model);
  // Harbor's 404 for the model the caller named is the caller's NotFound; for the whole project, the catalogue's conflict with Harbor.
  const listed = input.model
    ? await translateFailure(listing, FailureType.HarborNotFound, missing)
    : await onCataloguedProject(listing, input.registry, input.project);
  const unlistedToo = patched(UNLISTED_PATCH);
  if (input.model && listed.length === 0 && !unlistedToo) throw missing();
  const repositories: RefreshResult['repositories'] = [];
  const name = (fullName: string) => fullName.slice(input.project.length + 1);
  // Each version a repository's reconcile changed is announced as a webhook's would be, once it is committed.
  const record = async (fullName: string, { changes, ...counts }: { added: number; updated: number; archived: number; changes?: ImageChange[] }) => {
    repositories.push({ name: name(fullName), ...counts });
    if (changes && changes.length > 0 && patched(ANNOUNCE_PATCH)) await events.publishEvents(imageChangeEvents({ registry: input.registry, project: input.project, model: name(fullName) }, changes, 'refresh'));
  };
  for (const repository of listed) await record(repository.fullName, await db.reconcileRepository({ projectId: project.id, registry: input.registry, repository }));
  if (unlistedToo) {
    // What the catalogue has and Harbor did not list: a repository deleted whose webhooks were lost.
    const seen = new Set(listed.map((r) => r.fullName));
    const unlisted = input.model ? [`${input.project}/${input.model}`] : await db.listCatalogueRepositories({ projectId: project.id });
    for (const fullName of unlisted.filter((n) => !seen.has(n))) {
      const change = await harborBulk.reconcileNamedRepository({ projectId: project.id, registry: input.registry, fullName });
      if (change) await record(fullName, change);
    }
    if (input.model && repositories.length === 0) throw missing();
  }
  await recordHarborSummary(input.registry, input.project);
  const refreshed = {
    id: uuid4(),
    type: 'modelregistry.model.refreshed',
    // A model's refresh is keyed as its other events are, so they stay in order.
    subject: input.model ? `models/${input.registry}/${input.project}/${input.model}` : `projects/${input.registry}/${input.project}`,
    time: new Date().toISOString(),
    data: { registry: input.registry, project: input.project, repositories },
  };
  await events.publishEvent(refreshed);
  return { repositories };
}

/**
 * Run by the `catalogue-reconciliation` Schedule: refreshes every managed project, one child
 * workflow each (their ids are the refresh business keys, so a manual refresh and this one
 * never run twice at once for a project: one running is left to finish, and counted as
 * `alreadyRunning`). A project that fails is reported, not fatal.
 */
export async function reconcileAllWorkflow(): Promise<{ refreshed: number; alreadyRunning: string[]; failed: string[] }> {
  const managed = await db.listManagedProjects();
  const failed: string[] = [];
  const alreadyRunning: string[] = [];
  for (const p of managed) {
    try {
      const outcome = await runUnderBusinessKey(refreshWorkflow, refreshWorkflowId(p.registry, p.name), [{ registry: p.registry, project: p.name }]);
      if ('alreadyRunning' in outcome) alreadyRunning.push(`${p.registry}/${p.name}`);
    } catch {
      failed.push(`${p.registry}/${p.name}`);
    }
  }
  return { refreshed: managed.length - failed.length - alreadyRunning.length, alreadyRunning, failed };
}
