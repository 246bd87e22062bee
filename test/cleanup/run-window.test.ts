import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCleanupActivities } from '../../activities/db/cleanup';
import { findCleanupRun } from '../../db/queries/cleanup';
import type { CleanupCandidate } from '../../lib/cleanup/types';
import { startStackWithProject } from '../support/fixtures';
import type { TestStack } from '../support/stack';

const candidate = (i: number): CleanupCandidate => ({
  model: `m${i}`,
  tag: `1.0.${i}`,
  digest: `sha256:${String(i).padStart(64, '0')}`,
  selectedBy: [{ index: 0, kind: 'keep_newest', reason: `release 1.0.${i} is older than the newest 1 of model m${i}` }],
  action: i % 2 === 0 ? 'delete' : 'untag',
  sizeBytes: 100 + i,
  freesBytes: i % 2 === 0 ? 100 + i : 0,
  freesBytesEstimated: false,
});

/**
 * A run reads its candidates from the report on its row a window at a time and makes its summary
 * from that report at its end: a run of thousands of versions carries neither through Temporal,
 * whose payloads are limited to 2 MB (10,000 candidates are about 3 MB).
 */
describe('a cleanup run works from the report on its row', () => {
  let stack: TestStack;
  let projectId: string;

  beforeAll(async () => {
    ({ stack, projectId } = await startStackWithProject('window'));
  }, 120_000);
  afterAll(() => stack?.close());

  it('reads windows of the stored candidates in order, and ends with a summary made from them', async () => {
    const activities = createCleanupActivities({ db: stack.database.db });
    const runId = randomUUID();
    expect(await activities.claimCleanupRun({ id: runId, workflowId: `test/${runId}`, projectId, trigger: 'manual', dryRun: false, mode: 'automatic', requestedBy: null })).toMatchObject({ claimed: true });
    const candidates = Array.from({ length: 5 }, (_, i) => candidate(i));
    await activities.updateCleanupRun(runId, { status: 'running', report: { candidates, protected: [], totals: { candidates: 5, protected: 0, kept: 0, sizeBytes: 0, freesBytes: 0, freesBytesEstimated: false } } });

    expect(await activities.cleanupRunCandidates(runId, 0, 2)).toEqual(candidates.slice(0, 2));
    expect(await activities.cleanupRunCandidates(runId, 2, 2)).toEqual(candidates.slice(2, 4));
    expect(await activities.cleanupRunCandidates(runId, 4, 2)).toEqual(candidates.slice(4));
    expect(await activities.cleanupRunCandidates(runId, 5, 2)).toEqual([]);

    // Four gone through: the second failed, the third was already gone; the fifth never reached (cancelled).
    await activities.endCleanupRun({ runId, status: 'cancelled', done: 4, bytesFreed: 204, failed: [{ at: 1, error: 'Harbor said no' }], alreadyGone: [2] });
    const run = await findCleanupRun(stack.database.db, projectId, runId);
    expect(run).toMatchObject({ status: 'cancelled', done: 4, bytesFreed: 204, endedAt: expect.any(String) });
    const version = (c: CleanupCandidate) => ({ model: c.model, tag: c.tag, digest: c.digest });
    expect(run!.summary).toEqual({
      removed: [
        { ...version(candidates[0]!), action: 'delete', freesBytes: 100 },
        { ...version(candidates[2]!), action: 'delete', freesBytes: 102, alreadyGone: true },
        { ...version(candidates[3]!), action: 'untag', freesBytes: 0 },
      ],
      failures: [{ ...version(candidates[1]!), error: 'Harbor said no' }],
    });
  });
});
