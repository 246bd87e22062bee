import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ModelName, OperationKind, ProjectName, TenantName } from '../../lib/search-attributes';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-temporal.sh', import.meta.url));

/** Absolute path of the Temporal CLI (on PATH, else the pinned one scripts/ensure-temporal.sh installs on first use). */
export function temporalExecutable(): string {
  return execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
}

/** The custom search attributes temporal-dev.sh registers, as `server.searchAttributes` of `TestWorkflowEnvironment.createLocal` takes them. */
export const SEARCH_ATTRIBUTES = [TenantName, ProjectName, OperationKind, ModelName];
