import { describe, expect, it } from 'vitest';
import { syncScheduleSpec } from '../../activities/temporal/sync-schedules';
import { severityPasses } from '../../lib/promotion';
import { globMatches } from '../../lib/replication';

describe('promotion scan gate', () => {
  it('passes nothing at or above the project threshold, and always a clean scan', () => {
    expect(severityPasses('Medium', 'high')).toBe(true);
    expect(severityPasses('High', 'high')).toBe(false);
    expect(severityPasses('Critical', 'high')).toBe(false);
    expect(severityPasses('Low', 'low')).toBe(false);
    expect(severityPasses('None', 'low')).toBe(true);
    expect(severityPasses('Unknown', 'critical')).toBe(true);
    // A threshold of none lets no finding through, but a clean scan still passes.
    expect(severityPasses('Low', 'none')).toBe(false);
    expect(severityPasses('None', 'none')).toBe(true);
    expect(severityPasses('', 'high')).toBe(false);
    expect(severityPasses('Medium', 'bogus')).toBe(false);
  });
});

describe("Harbor's filter globs (doublestar)", () => {
  it('matches as Harbor does', () => {
    expect(globMatches('**', 'a/b/c')).toBe(true);
    expect(globMatches('*', 'a/b')).toBe(false);
    expect(globMatches('ll*', 'llama')).toBe(true);
    expect(globMatches('ll*', 'bert')).toBe(false);
    expect(globMatches('{llama,bert}', 'bert')).toBe(true);
    expect(globMatches('{llama,bert}', 'gpt')).toBe(false);
    expect(globMatches('1.?.0', '1.2.0')).toBe(true);
    expect(globMatches('1.*', '1.2.0')).toBe(true);
    expect(globMatches('1.2.0', '1x2y0')).toBe(false);
    expect(globMatches('[ab]*', 'bert')).toBe(true);
    expect(globMatches('[!ab]*', 'bert')).toBe(false);
    expect(globMatches('{unclosed', 'unclosed')).toBe(false);
  });
});

describe('sync Schedule spec', () => {
  it("takes a scheduled rule's Harbor cron without its seconds, else an interval", () => {
    expect(syncScheduleSpec({ trigger: 'scheduled', cron: '0 30 2 * * ?' }, 60)).toEqual({ cronExpressions: ['30 2 * * *'] });
    expect(syncScheduleSpec({ trigger: 'manual', cron: null }, 15)).toEqual({ intervals: [{ every: '15 minutes' }] });
  });
});
