import { describe, expect, it } from 'vitest';
import { cronProblem, replicationPolicyName } from '../../lib/replication';

describe("a rule's Harbor policy name", () => {
  it('is <project>.<rule>, and past 255 characters still unique and within them', () => {
    expect(replicationPolicyName('ml-team', 'to-dr')).toBe('ml-team.to-dr');
    const long = 'p'.repeat(250);
    const a = replicationPolicyName(`${long}a`, 'to-dr');
    const b = replicationPolicyName(`${long}b`, 'to-dr');
    expect(a.length).toBeLessThanOrEqual(255);
    expect(a).not.toBe(b);
    expect(a.endsWith('.to-dr')).toBe(true);
    expect(replicationPolicyName(`${long}a`, 'to-dr')).toBe(a);
  });
});

describe("Harbor's six-field cron", () => {
  it.each(['0 0 2 * * *', '*/30 * * * * ?', '0 0 0 1,15 * MON-FRI', '0 5-10/5 8-18 ? JAN,JUL SUN', '0 0 12 * * 0'])('takes %s', (cron) => {
    expect(cronProblem(cron)).toBeUndefined();
  });
  it.each([
    ['0 2 * * *', /6 fields/],
    ['60 * * * * *', /seconds/],
    ['0 0 24 * * *', /hours/],
    ['0 0 0 0 * *', /day of month/],
    ['0 0 0 * 13 *', /month/],
    ['0 0 0 * * 7', /day of week/],
    ['0 */0 * * * *', /minutes/],
    ['? * * * * *', /seconds/],
    ['0 0 5-1 * * *', /hours/],
    ['0 0 0 * FOO *', /month/],
  ])('refuses %s', (cron, why) => {
    expect(cronProblem(cron)).toMatch(why);
  });
});
