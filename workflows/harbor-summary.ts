import { isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

const harbor = proxyActivities<Activities>({
  startToCloseTimeout: '10 seconds',
  scheduleToCloseTimeout: '3 minutes',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '15 seconds' },
});
const local = proxyActivities<Activities>({ startToCloseTimeout: '15 seconds', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });

/** Histories recorded before workflows kept Harbor's figures in the catalogue replay without these two activities. */
export const HARBOR_SUMMARY_PATCH = 'harbor-summary-read-model';

/**
 * Copies Harbor's quota and repository count onto the project's row, where `GET /projects/{name}`
 * reads them. Best effort: the figures are informative, so a Harbor that does not answer leaves
 * the previous ones (and their time) for the next refresh or reconciliation to replace.
 */
export async function recordHarborSummary(registry: string, name: string): Promise<void> {
  if (!patched(HARBOR_SUMMARY_PATCH)) return;
  try {
    await local.saveHarborSummary(registry, name, await harbor.harborProjectSummary(registry, name));
  } catch (err) {
    // Nothing to undo; the failure stays in the history for the operator.
    if (isCancellation(err)) throw err;
  }
}
