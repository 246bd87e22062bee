import { cronProblem, globMatches } from '../replication';
import { CLEANUP_MODES, CLEANUP_RULE_KINDS, DEFAULT_CLEANUP_POLICY, type CleanupPolicy } from './types';

export interface PolicyProblem {
  /** Where, as the API names it: `body.rules.2.count`. */
  field: string;
  message: string;
}

/** Ages above a century are typing mistakes, and would overflow the dates they are compared with. */
const MAX_DAYS = 36_500;
/** Inclusive bounds of a policy's numbers; the API's schema states the same. */
export const CLEANUP_POLICY_LIMITS = {
  count: [1, 10_000],
  olderThanDays: [0, MAX_DAYS],
  days: [0, MAX_DAYS],
  afterDays: [0, MAX_DAYS],
  olderThanHours: [0, MAX_DAYS * 24],
  maxDeletionsPerRun: [1, 10_000],
  approvalTimeoutHours: [1, 720],
} as const;

function integerProblem(value: unknown, [min, max]: readonly [number, number]): string | undefined {
  return Number.isInteger(value) && (value as number) >= min && (value as number) <= max ? undefined : `must be an integer from ${min} to ${max}`;
}

/** Why a model-name glob is not one (lib/replication's `globMatches` syntax); undefined when it is. */
export function globProblem(pattern: string): string | undefined {
  if (pattern.length === 0 || pattern.length > 255) return 'must be 1 to 255 characters';
  let depth = 0;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '{') depth++;
    else if (ch === '}' && --depth < 0) return 'closes a } that was not opened';
    // No model name holds a comma, and the Harbor retention mirror joins globs as {a,b}.
    else if (ch === ',' && depth === 0) return 'has a , outside {…} alternatives';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) return 'opens a [ that is not closed';
      if (end === i + 1 || (end === i + 2 && pattern[i + 1] === '!')) return 'has an empty [] class';
      i = end;
    }
  }
  if (depth > 0) return 'opens a { that is not closed';
  try {
    globMatches(pattern, '');
  } catch {
    return 'has a character class that is not one (such as [z-a])';
  }
  return undefined;
}

/**
 * Everything wrong with a policy, each with the field it is in (paths under `at`, `body` for a PUT):
 * limits, one rule per kind and models, globs, the schedule's cron. Empty when it is valid.
 */
export function cleanupPolicyProblems(policy: CleanupPolicy, at = 'body'): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const problem = (field: string, message: string | undefined) => {
    if (message !== undefined) problems.push({ field: `${at}.${field}`, message });
  };
  if (!(CLEANUP_MODES as readonly string[]).includes(policy.mode)) problem('mode', `must be one of ${CLEANUP_MODES.join(', ')}`);
  if (policy.schedule !== undefined) problem('schedule', cronProblem(policy.schedule));
  const seen = new Map<string, number>();
  for (const [i, rule] of policy.rules.entries()) {
    const field = `rules.${i}`;
    if (!(CLEANUP_RULE_KINDS as readonly string[]).includes(rule.kind)) {
      problem(`${field}.kind`, `must be one of ${CLEANUP_RULE_KINDS.join(', ')}`);
      continue;
    }
    if (rule.models !== undefined) problem(`${field}.models`, globProblem(rule.models));
    switch (rule.kind) {
      case 'keep_newest':
        problem(`${field}.count`, integerProblem(rule.count, CLEANUP_POLICY_LIMITS.count));
        if (!['model', 'major', 'minor'].includes(rule.per)) problem(`${field}.per`, 'must be one of model, major, minor');
        break;
      case 'prereleases':
        problem(`${field}.olderThanDays`, integerProblem(rule.olderThanDays, CLEANUP_POLICY_LIMITS.olderThanDays));
        break;
      case 'not_pulled':
        problem(`${field}.days`, integerProblem(rule.days, CLEANUP_POLICY_LIMITS.days));
        break;
      case 'untagged':
        problem(`${field}.olderThanHours`, integerProblem(rule.olderThanHours, CLEANUP_POLICY_LIMITS.olderThanHours));
        break;
      case 'archived_models':
        problem(`${field}.afterDays`, integerProblem(rule.afterDays, CLEANUP_POLICY_LIMITS.afterDays));
        break;
    }
    // No models and `**` are the same scope.
    const key = `${rule.kind} ${rule.models ?? '**'}`;
    const first = seen.get(key);
    if (first !== undefined) problem(field, `repeats rules.${first}: at most one ${rule.kind} rule per models glob`);
    else seen.set(key, i);
  }
  if (policy.keepLabel.trim().length === 0 || policy.keepLabel.length > 255) problem('keepLabel', 'must be 1 to 255 characters, not only spaces');
  problem('maxDeletionsPerRun', integerProblem(policy.maxDeletionsPerRun, CLEANUP_POLICY_LIMITS.maxDeletionsPerRun));
  problem('approvalTimeoutHours', integerProblem(policy.approvalTimeoutHours, CLEANUP_POLICY_LIMITS.approvalTimeoutHours));
  return problems;
}

export type CleanupPolicySource = 'project' | 'tenant' | 'default';

/** The policy a project runs: its own as a whole, else its tenant's default, else DEFAULT_CLEANUP_POLICY (no rules). */
export function effectivePolicy(projectPolicy: CleanupPolicy | null | undefined, tenantDefault: CleanupPolicy | null | undefined): { policy: CleanupPolicy; source: CleanupPolicySource } {
  if (projectPolicy) return { policy: projectPolicy, source: 'project' };
  if (tenantDefault) return { policy: tenantDefault, source: 'tenant' };
  return { policy: { ...DEFAULT_CLEANUP_POLICY, rules: [] }, source: 'default' };
}
