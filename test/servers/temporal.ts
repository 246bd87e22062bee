import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ModelName, OperationKind, ProjectName, TenantName } from '../../workflows/search-attributes';

const ensureScript = fileURLToPath(new URL('../../scripts/ensure-temporal.sh', import.meta.url));

/** The pinned Temporal CLI (installed on first use by scripts/ensure-temporal.sh). */
export function temporalExecutable(): string {
  return execFileSync('bash', [ensureScript], { encoding: 'utf8' }).trim();
}

/** The same custom search attributes temporal-dev.sh registers. */
export const SEARCH_ATTRIBUTES = [TenantName, ProjectName, ModelName, OperationKind];
