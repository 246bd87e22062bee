import { describe, expect, it } from 'vitest';
import { CleanupPolicySchema } from '../../api/schemas/cleanup';
import { CLEANUP_POLICY_LIMITS, cleanupPolicyProblems, effectivePolicy, globProblem } from '../../lib/cleanup/policy';
import { DEFAULT_CLEANUP_POLICY, type CleanupPolicy, type CleanupRule } from '../../lib/cleanup/types';

const valid: CleanupPolicy = {
  mode: 'semi-automatic',
  schedule: '0 0 3 * * SUN',
  rules: [
    { kind: 'keep_newest', count: 3, per: 'major' },
    { kind: 'keep_newest', count: 1, per: 'model', models: 'llama-*' },
    { kind: 'prereleases', olderThanDays: 0 },
    { kind: 'not_pulled', days: 90 },
    { kind: 'untagged', olderThanHours: 24 },
    { kind: 'archived_models', afterDays: 30, models: '{a,b}-[0-9]?' },
  ],
  keepLabel: 'keep',
  maxDeletionsPerRun: 100,
  approvalTimeoutHours: 72,
  mirrorToHarborRetention: true,
};

/** The valid policy with one thing changed. */
const withPolicy = (change: Partial<CleanupPolicy>) => ({ ...valid, ...change });
const withRule = (rule: Record<string, unknown>) => withPolicy({ rules: [...valid.rules, rule as unknown as CleanupRule] });
const at = `rules.${valid.rules.length}`;

describe('cleanup policy validation', () => {
  it('accepts a valid policy and the default', () => {
    expect(cleanupPolicyProblems(valid)).toEqual([]);
    expect(cleanupPolicyProblems(DEFAULT_CLEANUP_POLICY)).toEqual([]);
  });

  it.each<[string, CleanupPolicy, string, string]>([
    ['unknown mode', withPolicy({ mode: 'sometimes' as CleanupPolicy['mode'] }), 'body.mode', 'must be one of report, semi-automatic, automatic'],
    ['five-field cron', withPolicy({ schedule: '0 3 * * *' }), 'body.schedule', 'must have 6 fields'],
    ['cron out of range', withPolicy({ schedule: '0 0 25 * * *' }), 'body.schedule', 'hours "25"'],
    ['count 0', withRule({ kind: 'keep_newest', count: 0, per: 'minor', models: 'x' }), `body.${at}.count`, 'must be an integer from 1 to 10000'],
    ['count not an integer', withRule({ kind: 'keep_newest', count: 1.5, per: 'minor', models: 'x' }), `body.${at}.count`, 'must be an integer'],
    ['per unknown', withRule({ kind: 'keep_newest', count: 1, per: 'patch', models: 'x' }), `body.${at}.per`, 'must be one of model, major, minor'],
    ['negative days', withRule({ kind: 'not_pulled', days: -1, models: 'x' }), `body.${at}.days`, 'must be an integer from 0 to 36500'],
    ['days not a number', withRule({ kind: 'prereleases', olderThanDays: '30', models: 'x' }), `body.${at}.olderThanDays`, 'must be an integer'],
    ['hours fractional', withRule({ kind: 'untagged', olderThanHours: 0.5, models: 'x' }), `body.${at}.olderThanHours`, 'must be an integer'],
    ['afterDays too large', withRule({ kind: 'archived_models', afterDays: 1e9 }), `body.${at}.afterDays`, 'must be an integer from 0 to 36500'],
    ['unknown kind', withRule({ kind: 'delete_everything' }), `body.${at}.kind`, 'must be one of keep_newest'],
    ['same kind and models twice', withRule({ kind: 'keep_newest', count: 5, per: 'model', models: 'llama-*' }), `body.${at}`, 'repeats rules.1'],
    ['no models and ** are the same scope', withRule({ kind: 'not_pulled', days: 5, models: '**' }), `body.${at}`, 'repeats rules.3'],
    ['unclosed brace', withRule({ kind: 'not_pulled', days: 5, models: '{a,b' }), `body.${at}.models`, 'opens a { that is not closed'],
    ['unopened brace', withRule({ kind: 'not_pulled', days: 5, models: 'a}' }), `body.${at}.models`, 'closes a }'],
    ['unclosed class', withRule({ kind: 'not_pulled', days: 5, models: 'a[bc' }), `body.${at}.models`, 'opens a ['],
    ['empty class', withRule({ kind: 'not_pulled', days: 5, models: 'a[]' }), `body.${at}.models`, 'empty [] class'],
    ['reversed range', withRule({ kind: 'not_pulled', days: 5, models: '[z-a]' }), `body.${at}.models`, 'not one'],
    ['comma outside braces', withRule({ kind: 'not_pulled', days: 5, models: 'a,b' }), `body.${at}.models`, 'outside {…}'],
    ['empty glob', withRule({ kind: 'not_pulled', days: 5, models: '' }), `body.${at}.models`, 'must be 1 to 255 characters'],
    ['empty keep label', withPolicy({ keepLabel: '  ' }), 'body.keepLabel', 'must be 1 to 255 characters'],
    ['long keep label', withPolicy({ keepLabel: 'k'.repeat(256) }), 'body.keepLabel', 'must be 1 to 255 characters'],
    ['no deletions per run', withPolicy({ maxDeletionsPerRun: 0 }), 'body.maxDeletionsPerRun', 'must be an integer from 1 to 10000'],
    ['too many deletions per run', withPolicy({ maxDeletionsPerRun: 10_001 }), 'body.maxDeletionsPerRun', 'must be an integer from 1 to 10000'],
    ['approval timeout 0', withPolicy({ approvalTimeoutHours: 0 }), 'body.approvalTimeoutHours', 'must be an integer from 1 to 720'],
    ['approval timeout over 30 days', withPolicy({ approvalTimeoutHours: 721 }), 'body.approvalTimeoutHours', 'must be an integer from 1 to 720'],
  ])('%s', (_name, policy, field, message) => {
    const problems = cleanupPolicyProblems(policy);
    expect(problems).toHaveLength(1);
    expect(problems[0]!.field).toBe(field);
    expect(problems[0]!.message).toContain(message);
  });

  it('reports every problem, under the prefix asked for', () => {
    const policy = withPolicy({ rules: [{ kind: 'keep_newest', count: 0, per: 'model' }, { kind: 'not_pulled', days: -1 }], maxDeletionsPerRun: 0 });
    expect(cleanupPolicyProblems(policy, 'query.policy').map((p) => p.field)).toEqual(['query.policy.rules.0.count', 'query.policy.rules.1.days', 'query.policy.maxDeletionsPerRun']);
  });

  it.each(['*', '**', 'llama-*', '{a,b}', '{a,{b,c}}', '[!a]x', 'a?c', 'model_1.0'])('%s is a glob', (glob) => expect(globProblem(glob)).toBeUndefined());
});

describe('the effective policy', () => {
  const tenant: CleanupPolicy = { ...DEFAULT_CLEANUP_POLICY, mode: 'automatic', rules: [{ kind: 'untagged', olderThanHours: 1 }] };
  const project: CleanupPolicy = { ...DEFAULT_CLEANUP_POLICY, rules: [{ kind: 'not_pulled', days: 5 }], keepLabel: 'pin' };

  it.each<[string, CleanupPolicy | undefined, CleanupPolicy | undefined, CleanupPolicy, 'project' | 'tenant' | 'default']>([
    ['a project policy replaces the tenant default as a whole', project, tenant, project, 'project'],
    ['a project policy alone', project, undefined, project, 'project'],
    ['the tenant default when the project has none', undefined, tenant, tenant, 'tenant'],
    ['the built-in default otherwise (report, no rules)', undefined, undefined, DEFAULT_CLEANUP_POLICY, 'default'],
  ])('%s', (_name, own, inherited, policy, source) => {
    expect(effectivePolicy(own, inherited)).toEqual({ policy, source });
  });

  it('hands out a copy of the built-in default', () => {
    const { policy } = effectivePolicy(undefined, undefined);
    policy.rules.push({ kind: 'untagged', olderThanHours: 1 });
    expect(DEFAULT_CLEANUP_POLICY.rules).toEqual([]);
  });
});

describe("the API's policy schema", () => {
  it('bounds numbers where the rules do, so what the documentation admits is stored', () => {
    const parses = (change: Partial<CleanupPolicy>) => CleanupPolicySchema.safeParse(withPolicy(change)).success;
    for (const [key, [min, max]] of [['maxDeletionsPerRun', CLEANUP_POLICY_LIMITS.maxDeletionsPerRun], ['approvalTimeoutHours', CLEANUP_POLICY_LIMITS.approvalTimeoutHours]] as const) {
      expect([parses({ [key]: min }), parses({ [key]: max }), parses({ [key]: min - 1 }), parses({ [key]: max + 1 })], key).toEqual([true, true, false, false]);
      expect(cleanupPolicyProblems(withPolicy({ [key]: max })), key).toEqual([]);
    }
    const count = CLEANUP_POLICY_LIMITS.count[1];
    expect(parses({ rules: [{ kind: 'keep_newest', count, per: 'model' }] })).toBe(true);
    expect(parses({ rules: [{ kind: 'keep_newest', count: count + 1, per: 'model' }] })).toBe(false);
  });
});
