import { isCancellation, patched, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';

import { profiles } from './activity-options';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);

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
    await db.saveHarborSummary(registry, name, await harbor.harborProjectSummary(registry, name));
  } catch (err) {
    // Nothing to undo; the failure stays in the history for the operator.
    if (isCancellation(err)) throw err;
  }
}
