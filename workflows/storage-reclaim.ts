import { defineQuery, proxyActivities, setHandler, sleep, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { GcRunReport } from '../activities/harbor/gc';
import { applicationFailureIn, failedPrecondition, FailureType, operationFailed } from '../lib/failure-types';
import type { Actor } from './actor';
import { profiles } from './activity-options';
import { runUnderBusinessKey, type AlreadyRunning } from './business-key';
import { OperationKind } from '../lib/search-attributes';
import { storageReclaimWorkflowId } from '../lib/workflow-ids';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

export interface StorageReclaimRequest {
  /** The managed Harbor instance. */
  registry: string;
  /** Harbor deletes untagged artifacts first (`delete_untagged`). */
  deleteUntagged: boolean;
  /** Only Harbor's dry run: nothing is deleted. */
  dryRun: boolean;
  /** Who asked; a Schedule's run has none. */
  actor?: Actor;
}

export type StorageReclaimStage = 'dry-run' | 'run' | 'done';

export interface StorageReclaimProgress {
  registry: string;
  stage: StorageReclaimStage;
  dryRun?: GcRunReport;
  run?: GcRunReport;
}

export interface StorageReclaimResult {
  registry: string;
  deleteUntagged: boolean;
  /** What Harbor's dry run says it would free. */
  dryRun: GcRunReport;
  /** What the real run freed; absent when only a dry run was asked for. */
  run?: GcRunReport;
}

export const storageReclaimProgressQuery = defineQuery<StorageReclaimProgress>('progress');

/** Harbor's GC runs as a job: polled at 1 s, doubling to 1 min; a run taking longer than this is given up on. */
const FIRST_POLL_MS = 1000;
const MAX_POLL_MS = 60_000;
const GIVE_UP_AFTER_MS = 12 * 3600_000;

/** Why a stage stopped, naming the stage and Harbor's run, for the API's problem. */
function stopped(stage: StorageReclaimStage, err: unknown, gcId?: number): never {
  const failure = applicationFailureIn(err);
  const details = { stage, ...(gcId !== undefined ? { gcId } : {}) };
  if (failure?.type === FailureType.FailedPrecondition) throw failedPrecondition(`${stage}: ${failure.message}`, details);
  throw operationFailed(`storage reclaim stopped at the ${stage}: ${failure?.message ?? (err instanceof Error ? err.message : String(err))}`, details);
}

/** Starts one GC run and waits for it to end; the progress sees every reading. */
async function gcRun(request: StorageReclaimRequest, stage: 'dry-run' | 'run', report: (r: GcRunReport) => void): Promise<GcRunReport> {
  let gcId: number | undefined;
  try {
    gcId = await harbor.startHarborGc(request.registry, { dryRun: stage === 'dry-run', deleteUntagged: request.deleteUntagged });
    const deadline = Date.now() + GIVE_UP_AFTER_MS;
    for (let wait = FIRST_POLL_MS; ; wait = Math.min(wait * 2, MAX_POLL_MS)) {
      const current = await harbor.readHarborGc(request.registry, gcId);
      report(current);
      if (current.finished) {
        if (current.status !== 'Success') throw new Error(`Harbor's GC ${gcId} ended ${current.status}`);
        return current;
      }
      if (Date.now() > deadline) throw new Error(`Harbor's GC ${gcId} did not end within ${GIVE_UP_AFTER_MS / 3600_000} hours`);
      await sleep(wait);
    }
  } catch (err) {
    return stopped(stage, err, gcId);
  }
}

/**
 * Reclaims a Harbor instance's storage: Harbor's garbage collection as a dry run first, then,
 * unless only the dry run was asked for, the real run. Reports what Harbor freed; a real run is
 * audited (`storage.reclaimed`) and announced (`modelregistry.storage.reclaimed`). Harbor runs one
 * GC at a time: one already running (started elsewhere) is a FailedPrecondition naming the stage.
 */
export async function storageReclaimWorkflow(request: StorageReclaimRequest): Promise<StorageReclaimResult> {
  const progress: StorageReclaimProgress = { registry: request.registry, stage: 'dry-run' };
  setHandler(storageReclaimProgressQuery, () => progress);

  const dryRun = await gcRun(request, 'dry-run', (r) => (progress.dryRun = r));
  if (request.dryRun) {
    progress.stage = 'done';
    return { registry: request.registry, deleteUntagged: request.deleteUntagged, dryRun };
  }
  progress.stage = 'run';
  const run = await gcRun(request, 'run', (r) => (progress.run = r));
  const result: StorageReclaimResult = { registry: request.registry, deleteUntagged: request.deleteUntagged, dryRun, run };

  const event = {
    id: uuid4(),
    type: 'modelregistry.storage.reclaimed',
    subject: `registries/${request.registry}/storage`,
    time: new Date().toISOString(),
    data: { ...result },
  };
  await db.recordAudit({
    eventKey: event.id,
    actor: request.actor?.username ?? 'schedule',
    action: 'storage.reclaimed',
    resource: event.subject,
    details: { ...result, ...(request.actor ? { actorSubject: request.actor.subject } : {}) },
  });
  await events.publishEvent(event);
  progress.stage = 'done';
  return result;
}

/** The instance's Schedule run: the reclaim under its key, so that it never runs beside one the API started (Harbor runs one GC at a time). */
export async function scheduledStorageReclaimWorkflow(request: StorageReclaimRequest): Promise<StorageReclaimResult | AlreadyRunning> {
  return runUnderBusinessKey(storageReclaimWorkflow, storageReclaimWorkflowId(request.registry), [request], [{ key: OperationKind, value: 'storage-reclaim' }]);
}
