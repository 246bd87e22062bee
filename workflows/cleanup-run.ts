import { allHandlersFinished, condition, continueAsNew, defineQuery, defineSignal, defineUpdate, patched, proxyActivities, setHandler, uuid4, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CleanupRunRecord } from '../db/queries/cleanup';
import type { CleanupRunStatus } from '../db/schema';
import type { CleanupCandidate, CleanupMode } from '../lib/cleanup/types';
import { failedPrecondition, FailureType, isFailure } from '../lib/failure-types';
import { profiles } from './activity-options';
import { computeCleanup, policyInForce } from './cleanup';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const temporal = proxyActivities<Activities>(profiles.temporal);

/** Candidates read from the run's row per step: thousands of them do not fit a workflow's payloads. */
const WINDOW = 200;

export interface CleanupProgress {
  runId: string;
  status: CleanupRunStatus;
  done: number;
  total: number;
  bytesFreed: number;
  /** The version being removed now. */
  current: { model: string; tag: string | null; digest: string } | null;
  approvalDeadline?: string;
}

export type CleanupClaim = { claimed: true; run: CleanupRunRecord } | { claimed: false; active: CleanupRunRecord | null };

/** The run's claim on its project, answered once its row is written: the API's 202 or 409. */
export const cleanupClaimUpdate = defineUpdate<CleanupClaim>('claim');
/** An approval of a semi-automatic run waiting for one; refused unless it waits. */
export const cleanupApproveUpdate = defineUpdate<CleanupProgress, [{ by: string }]>('approve');
/** Stops the run after the item being removed (a waiting run ends at once). */
export const cleanupCancelSignal = defineSignal('cancel');
export const cleanupProgressQuery = defineQuery<CleanupProgress>('progress');

export interface CleanupRunInput {
  registry: string;
  project: string;
  /** Absent for a scheduled run: the workflow makes one. */
  runId?: string;
  trigger: 'manual' | 'schedule';
  dryRun: boolean;
  requestedBy?: string | null;
  /** A semi-automatic run's wait for its approval, instead of the policy's `approvalTimeoutHours`. */
  approvalTimeoutSeconds?: number;
  /** Carried over by continue-as-new: the run is claimed and its candidates fixed. */
  carried?: CarriedRun;
}

interface CarriedRun {
  runId: string;
  projectId: string;
  dryRun: boolean;
  cap: number;
  /** Every candidate of the report; more than the cap: the run ends `capped`. */
  total: number;
  /** How many candidates the run goes through: all of them, up to the cap. */
  end: number;
  /** The candidates from position `windowStart` (the report itself stays on the row). */
  window: CleanupCandidate[];
  windowStart: number;
  next: number;
  bytesFreed: number;
  /** Positions of the candidates that failed, and of those Harbor no longer had: the summary is made from them and the report at the end. */
  failed: { at: number; error: string }[];
  alreadyGone: number[];
  /** Positions of candidates approved or promoted since the report, left alone (absent in runs carried from before the patch). */
  kept?: { at: number; protections: ('approved' | 'promoted')[] }[];
}

/**
 * One cleanup run of a project (`cleanup:<registry>/<project>/<run>`). It claims the project (its
 * row; one active run per project), recomputes the candidates under the policy in force, waits
 * for an approval in `semi-automatic` mode (until `approvalTimeoutHours`, then `expired`), and
 * removes the candidates one at a time: Harbor (an untag or a delete, 404 = already gone), the
 * catalogue, an audit row and `modelregistry.cleanup.version_removed`, each keyed by run and
 * version so that a retried step does it once. A dry run, or a `report` policy's, removes nothing
 * and records what it would have. `cancel` stops after the current item; `maxDeletionsPerRun`
 * stops the run there (`capped`). Progress is the `progress` query; the summary is kept on the row.
 */
export async function cleanupRunWorkflow(input: CleanupRunInput): Promise<CleanupProgress> {
  const info = workflowInfo();
  const runId = input.carried?.runId ?? input.runId ?? uuid4();
  const progress: CleanupProgress = { runId, status: 'preparing', done: input.carried?.next ?? 0, total: input.carried?.total ?? 0, bytesFreed: input.carried?.bytesFreed ?? 0, current: null };
  let claim: CleanupClaim | undefined;
  let approvedBy: string | null = null;
  let cancelled = false;
  setHandler(cleanupProgressQuery, () => progress);
  // Only the first run claims: a continued run was claimed before.
  if (!input.carried) {
    setHandler(cleanupClaimUpdate, async () => {
      await condition(() => claim !== undefined);
      return claim!;
    });
  }
  setHandler(cleanupCancelSignal, () => void (cancelled = true));
  setHandler(
    cleanupApproveUpdate,
    ({ by }) => {
      approvedBy = by;
      return progress;
    },
    {
      validator: ({ by }) => {
        if (progress.status !== 'awaiting_approval') throw failedPrecondition(`cleanup run ${runId} is ${progress.status}, not awaiting approval`);
        if (!by) throw failedPrecondition('an approval names its approver');
      },
    },
  );

  let state: CarriedRun;
  if (input.carried) {
    state = input.carried;
    progress.status = 'running';
  } else {
    const ctx = await db.cleanupProjectContext(input.registry, input.project).catch(async (err: unknown) => {
      // A Schedule its project's archive raced (a policy change made it again) would fail every run: it goes.
      if (input.trigger === 'schedule' && isFailure(err, FailureType.NotFound) && patched('scheduled-cleanup-of-gone-project')) await temporal.deleteCleanupSchedule(input.registry, input.project);
      throw err;
    });
    const { policy } = policyInForce(ctx);
    // A `report` policy never deletes, whoever starts the run.
    const dryRun = input.dryRun || policy.mode === 'report';
    claim = await db.claimCleanupRun({ id: runId, workflowId: info.workflowId, projectId: ctx.project.id, trigger: input.trigger, dryRun, mode: policy.mode, requestedBy: input.requestedBy ?? null });
    if (!claim.claimed) {
      await condition(allHandlersFinished);
      const active = claim.active;
      throw failedPrecondition(`a cleanup run of ${input.project} is active${active ? `: ${active.id} (${active.status})` : ''}`, active ? { activeRun: active.id } : {});
    }
    // The whole report goes onto the row, and the run reads its candidates from there. A run that
    // cannot read its project ends `failed` on its row, or its claim would hold the project.
    const work = await computeCleanup(ctx, policy, { offset: 0, limit: 0, run: runId }).catch(async (err: unknown) => {
      const detail = (err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)).slice(0, 2000);
      await db.updateCleanupRun(runId, { status: 'failed', detail, ended: true });
      throw err;
    });
    const end = Math.min(work.totals.candidates, policy.maxDeletionsPerRun);
    state = { runId, projectId: ctx.project.id, dryRun, cap: policy.maxDeletionsPerRun, total: work.totals.candidates, end, window: [], windowStart: 0, next: 0, bytesFreed: 0, failed: [], alreadyGone: [] };
    progress.total = work.totals.candidates;

    if (await awaitsApprovalThatNeverCame(policy.mode, dryRun, (input.approvalTimeoutSeconds ?? policy.approvalTimeoutHours * 3_600) * 1_000, progress, () => approvedBy, () => cancelled)) {
      return finish(state, progress, cancelled ? 'cancelled' : 'expired');
    }
    progress.status = 'running';
    await db.updateCleanupRun(runId, { status: 'running', ...(approvedBy ? { approvedBy } : {}) });
  }

  for (; state.next < state.end; state.next++) {
    if (cancelled) return finish(state, progress, 'cancelled');
    if (state.next >= state.windowStart + state.window.length) {
      state.window = await db.cleanupRunCandidates(state.runId, state.next, WINDOW);
      state.windowStart = state.next;
    }
    await removeOne(input, state, progress);
    if (workflowInfo().continueAsNewSuggested && state.next + 1 < state.end) {
      await condition(allHandlersFinished);
      state.next++;
      return continueAsNew<typeof cleanupRunWorkflow>({ ...input, carried: state });
    }
  }
  if (cancelled) return finish(state, progress, 'cancelled');
  // More candidates than the cap: the run stops there, never past it.
  if (state.total > state.cap) return finish(state, progress, 'capped');
  return finish(state, progress, state.failed.length > 0 ? 'failed' : 'succeeded');
}

/** A semi-automatic run that deletes waits for its approval; true when it ends without one (expired or cancelled). */
async function awaitsApprovalThatNeverCame(mode: CleanupMode, dryRun: boolean, waitMs: number, progress: CleanupProgress, approvedBy: () => string | null, cancelled: () => boolean): Promise<boolean> {
  if (mode !== 'semi-automatic' || dryRun || progress.total === 0) return false;
  progress.status = 'awaiting_approval';
  progress.approvalDeadline = new Date(Date.now() + waitMs).toISOString();
  await db.updateCleanupRun(progress.runId, { status: 'awaiting_approval' });
  const answered = await condition(() => approvedBy() !== null || cancelled(), waitMs);
  return !answered || cancelled();
}

/** One candidate: Harbor, then the catalogue with its audit row and the run's progress, then the event. Failures are recorded, not thrown. */
async function removeOne(input: CleanupRunInput, state: CarriedRun, progress: CleanupProgress): Promise<void> {
  const c = state.window[state.next - state.windowStart]!;
  const version = { model: c.model, tag: c.tag, digest: c.digest };
  progress.current = version;
  const key = `cleanup:${state.runId}:${c.model}:${c.tag ?? c.digest}`;
  // The report may be days old (an approval awaited): a version approved or promoted since is kept.
  const protections = !state.dryRun && patched('cleanup-rechecks-protections') ? await db.cleanupProtectionsNow({ projectId: state.projectId, ...version }) : [];
  if (protections.length > 0) {
    state.kept = [...(state.kept ?? []), { at: state.next, protections }];
    await db.recordCleanedVersion({ runId: state.runId, progress: { done: state.next + 1, bytesFreed: state.bytesFreed } });
  } else {
    try {
      // Already gone: an earlier attempt's delete whose answer was lost, or someone else's; gone either way.
      const existed = state.dryRun || (await harbor.removeHarborVersion(input.registry, { project: input.project, ...version, action: c.action }));
      state.bytesFreed += c.freesBytes;
      if (!existed) state.alreadyGone.push(state.next);
      await db.recordCleanedVersion({
        runId: state.runId,
        progress: { done: state.next + 1, bytesFreed: state.bytesFreed },
        ...(state.dryRun
          ? {}
          : {
              archive: { projectId: state.projectId, project: input.project, ...version, action: c.action },
              audit: { eventKey: key, actor: input.requestedBy ?? null, action: 'cleanup.version_removed', resource: `models/${input.registry}/${input.project}/${c.model}`, details: { runId: state.runId, ...version, action: c.action, freesBytes: c.freesBytes } },
            }),
      });
      if (!state.dryRun) {
        await events.publishEvent({
          id: key,
          type: 'modelregistry.cleanup.version_removed',
          subject: `models/${input.registry}/${input.project}/${c.model}`,
          time: new Date().toISOString(),
          data: { runId: state.runId, registry: input.registry, project: input.project, ...version, action: c.action, sizeBytes: c.sizeBytes, freesBytes: c.freesBytes, selectedBy: c.selectedBy },
        });
      }
    } catch (err) {
      state.failed.push({ at: state.next, error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err) });
    }
  }
  progress.done = state.next + 1;
  progress.bytesFreed = state.bytesFreed;
  progress.current = null;
}

async function finish(state: CarriedRun, progress: CleanupProgress, status: CleanupRunStatus): Promise<CleanupProgress> {
  progress.status = status;
  progress.current = null;
  await db.endCleanupRun({ runId: state.runId, status, done: progress.done, bytesFreed: state.bytesFreed, failed: state.failed, alreadyGone: state.alreadyGone, kept: state.kept });
  await condition(allHandlersFinished);
  return progress;
}
