import { describe, expect, it } from 'vitest';
import { harborRetentionPolicy, RELEASE_TAG_GLOB, type HarborRetentionPolicy, type HarborRetentionSelector } from '../../lib/cleanup/retention';
import { selectCleanup } from '../../lib/cleanup/select';
import { DEFAULT_CLEANUP_POLICY, type CleanupArtifact, type CleanupPolicy, type CleanupRule } from '../../lib/cleanup/types';
import { globMatches } from '../../lib/replication';

const policy = (rules: CleanupRule[], more: Partial<CleanupPolicy> = {}): CleanupPolicy => ({ ...DEFAULT_CLEANUP_POLICY, mirrorToHarborRetention: true, rules, ...more });

/** A rule in short: template(params) repository selector | tag selector. */
const short = (body: HarborRetentionPolicy | null) =>
  body?.rules.map((r) => {
    const repo = r.scope_selectors.repository.map((s) => `${s.decoration} ${s.pattern}`).join(' & ');
    const tag = r.tag_selectors.map((s) => `${s.decoration} ${s.pattern === RELEASE_TAG_GLOB ? 'RELEASE' : s.pattern} ${s.extras}`).join(' & ');
    return `${r.template}(${Object.values(r.params).join()}) ${repo} | ${tag}`;
  }) ?? null;

const KEEP_RELEASES = 'matches RELEASE {"untagged":false}';
const NON_RELEASES = 'excludes RELEASE {"untagged":true}';
const TAGGED = 'matches ** {"untagged":false}';
const UNTAGGED = 'excludes ** {"untagged":false}';

describe('mirroring a policy into Harbor tag retention', () => {
  it.each<[string, CleanupRule[], string[] | null]>([
    ['nothing expressible: null', [{ kind: 'not_pulled', days: 5 }, { kind: 'keep_newest', count: 3, per: 'major' }, { kind: 'prereleases', olderThanDays: 1 }, { kind: 'archived_models', afterDays: 1 }], null],
    ['no rules: null', [], null],
    [
      'keep newest per model',
      [{ kind: 'keep_newest', count: 3, per: 'model' }],
      [`latestPushedK(3) repoMatches ** | ${KEEP_RELEASES}`, `always() repoMatches ** | ${NON_RELEASES}`, `always() repoMatches ** | ${UNTAGGED}`],
    ],
    [
      'keep newest on some models: the others keep all their tags',
      [{ kind: 'keep_newest', count: 2, per: 'model', models: 'llama-*' }],
      [`latestPushedK(2) repoMatches llama-* | ${KEEP_RELEASES}`, `always() repoMatches llama-* | ${NON_RELEASES}`, `always() repoExcludes llama-* | ${TAGGED}`, `always() repoMatches ** | ${UNTAGGED}`],
    ],
    ['untagged: retained within ceil(H/24) days', [{ kind: 'untagged', olderThanHours: 30 }], [`always() repoMatches ** | ${TAGGED}`, `nDaysSinceLastPush(2) repoMatches ** | ${UNTAGGED}`]],
    ['untagged at 0 hours: none retained', [{ kind: 'untagged', olderThanHours: 0 }], [`always() repoMatches ** | ${TAGGED}`]],
    [
      'untagged on some models',
      [{ kind: 'untagged', olderThanHours: 24, models: '{a,b}' }],
      [`always() repoMatches ** | ${TAGGED}`, `nDaysSinceLastPush(1) repoMatches {a,b} | ${UNTAGGED}`, `always() repoExcludes {a,b} | ${UNTAGGED}`],
    ],
    [
      'a negated class in Harbor’s doublestar syntax',
      [{ kind: 'untagged', olderThanHours: 24, models: '[!x]*' }],
      [`always() repoMatches ** | ${TAGGED}`, `nDaysSinceLastPush(1) repoMatches [^x]* | ${UNTAGGED}`, `always() repoExcludes [^x]* | ${UNTAGGED}`],
    ],
    [
      'per-line keep_newest is not mirrored beside a per-model one',
      [
        { kind: 'keep_newest', count: 1, per: 'minor', models: 'x' },
        { kind: 'keep_newest', count: 4, per: 'model', models: 'y' },
      ],
      [`latestPushedK(4) repoMatches y | ${KEEP_RELEASES}`, `always() repoMatches y | ${NON_RELEASES}`, `always() repoExcludes y | ${TAGGED}`, `always() repoMatches ** | ${UNTAGGED}`],
    ],
    [
      'one rule per distinct count, globs of the same count combined',
      [
        { kind: 'keep_newest', count: 5, per: 'model', models: 'b' },
        { kind: 'keep_newest', count: 2, per: 'model', models: 'a' },
        { kind: 'keep_newest', count: 5, per: 'model', models: 'c*' },
        { kind: 'untagged', olderThanHours: 48, models: 'a' },
        { kind: 'untagged', olderThanHours: 0, models: 'b' },
      ],
      [
        `latestPushedK(2) repoMatches a | ${KEEP_RELEASES}`,
        `latestPushedK(5) repoMatches {b,c*} | ${KEEP_RELEASES}`,
        `always() repoMatches {a,b,c*} | ${NON_RELEASES}`,
        `always() repoExcludes {a,b,c*} | ${TAGGED}`,
        `nDaysSinceLastPush(2) repoMatches a | ${UNTAGGED}`,
        `always() repoExcludes {a,b} | ${UNTAGGED}`,
      ],
    ],
  ])('%s', (_name, rules, expected) => {
    expect(short(harborRetentionPolicy(policy(rules), 7))).toEqual(expected);
  });

  it('fits Harbor’s 15 rules: too many distinct counts collapse to the largest', () => {
    const rules: CleanupRule[] = Array.from({ length: 14 }, (_, i) => ({ kind: 'keep_newest', count: i + 1, per: 'model', models: `m${i}` }));
    expect(short(harborRetentionPolicy(policy(rules), 7))).toEqual([
      `latestPushedK(14) repoMatches {${rules.map((r) => r.models).sort().join(',')}} | ${KEEP_RELEASES}`,
      `always() repoMatches {${rules.map((r) => r.models).sort().join(',')}} | ${NON_RELEASES}`,
      `always() repoExcludes {${rules.map((r) => r.models).sort().join(',')}} | ${TAGGED}`,
      `always() repoMatches ** | ${UNTAGGED}`,
    ]);
  });

  it('is the body Harbor takes: algorithm, scope, trigger, each rule complete', () => {
    expect(harborRetentionPolicy(policy([{ kind: 'untagged', olderThanHours: 24 }], { mode: 'automatic', schedule: '0 0 2 * * *' }), 42)).toEqual({
      algorithm: 'or',
      rules: [
        {
          priority: 1,
          disabled: false,
          action: 'retain',
          template: 'always',
          params: {},
          tag_selectors: [{ kind: 'doublestar', decoration: 'matches', pattern: '**', extras: '{"untagged":false}' }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
        },
        {
          priority: 2,
          disabled: false,
          action: 'retain',
          template: 'nDaysSinceLastPush',
          params: { nDaysSinceLastPush: 1 },
          tag_selectors: [{ kind: 'doublestar', decoration: 'excludes', pattern: '**', extras: '{"untagged":false}' }],
          scope_selectors: { repository: [{ kind: 'doublestar', decoration: 'repoMatches', pattern: '**' }] },
        },
      ],
      trigger: { kind: 'Schedule', settings: { cron: '0 0 2 * * *' }, references: {} },
      scope: { level: 'project', ref: 42 },
    });
  });

  it.each<[CleanupPolicy['mode'], string | undefined, string]>([
    ['automatic', '0 0 2 * * *', '0 0 2 * * *'],
    ['automatic', undefined, ''],
    ['semi-automatic', '0 0 2 * * *', ''],
    ['report', '0 0 2 * * *', ''],
  ])('a %s policy scheduled %j: Harbor’s cron %j', (mode, schedule, cron) => {
    const body = harborRetentionPolicy(policy([{ kind: 'untagged', olderThanHours: 1 }], { mode, ...(schedule ? { schedule } : {}) }), 1);
    expect(body!.trigger.settings.cron).toBe(cron);
  });

  it('mirrors nothing unless the policy asks to', () => {
    expect(harborRetentionPolicy(policy([{ kind: 'untagged', olderThanHours: 1 }], { mirrorToHarborRetention: false }), 1)).toBeNull();
  });

  it.each([
    ['1.2.3', true],
    ['v1.2.3', true],
    ['0.0.0', true],
    ['2024.10.1', true],
    ['10.20.300', true],
    ['1.2.3-rc.1', false],
    ['1.2', false],
    ['latest', false],
    ['01.2.3', false],
    ['12345.0.0', false],
    ['vv1.2.3', false],
  ])('the release glob takes %s: %s', (tag, release) => {
    expect(globMatches(RELEASE_TAG_GLOB, tag)).toBe(release);
  });
});

/**
 * Harbor's retention as its source runs it (src/pkg/retention: launcher, or/processor,
 * selectors/doublestar, rule/latestps, daysps, always): per repository the rules that reach it,
 * each filtering the artifacts by its tag selectors then by its template; the union is retained, the
 * rest deleted unless immutable. Globs as doublestar, which lib/replication's globMatches follows.
 */
function harborDeletes(body: HarborRetentionPolicy, artifacts: CleanupArtifact[], now: string): Set<string> {
  const tagSelects = (s: HarborRetentionSelector, a: CleanupArtifact) => {
    const untagged = s.extras ? (JSON.parse(s.extras) as { untagged: boolean }).untagged : s.decoration !== 'excludes';
    if (a.tags.length === 0) return s.decoration === 'matches' ? untagged : !untagged;
    return s.decoration === 'matches' ? a.tags.some((t) => globMatches(s.pattern, t.name)) : a.tags.some((t) => !globMatches(s.pattern, t.name));
  };
  const reaches = (s: HarborRetentionSelector, repository: string) => globMatches(s.pattern, repository) === (s.decoration === 'repoMatches');
  const deleted = new Set<string>();
  for (const repository of new Set(artifacts.map((a) => a.model))) {
    const rules = body.rules.filter((r) => r.scope_selectors.repository.every((s) => reaches(s, repository)));
    if (rules.length === 0) continue;
    const all = artifacts.filter((a) => a.model === repository);
    const retained = new Set<CleanupArtifact>();
    for (const rule of rules) {
      const selected = all.filter((a) => rule.tag_selectors.every((s) => tagSelects(s, a)));
      const kept =
        rule.template === 'latestPushedK'
          ? [...selected].sort((a, b) => Date.parse(b.pushedAt) - Date.parse(a.pushedAt)).slice(0, rule.params.latestPushedK)
          : rule.template === 'nDaysSinceLastPush'
            ? selected.filter((a) => Date.parse(a.pushedAt) >= Date.parse(now) - rule.params.nDaysSinceLastPush! * 86_400_000)
            : selected;
      for (const a of kept) retained.add(a);
    }
    for (const a of all) if (!retained.has(a) && !a.tags.some((t) => t.immutable)) deleted.add(`${a.model}@${a.digest}`);
  }
  return deleted;
}

describe('what Harbor then deletes, our policy deletes too', () => {
  const NOW = '2026-12-01T00:00:00.000Z';
  const at = (hours: number) => new Date(Date.parse(NOW) - hours * 3_600_000).toISOString();
  let n = 0;
  /** Releases pushed in semver order, as Harbor's push order can only agree with semver then. */
  const art = (model: string, tags: string[], hoursAgo: number, more: Partial<CleanupArtifact> = {}): CleanupArtifact => ({
    model,
    digest: `sha256:${++n}`,
    tags: tags.map((name) => ({ name, pushedAt: at(hoursAgo), immutable: false })),
    pushedAt: at(hoursAgo),
    labels: [],
    approved: false,
    promoted: false,
    blobs: [],
    ...more,
  });
  const project = [
    ...['1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0', '2.0.0', '2.1.0'].map((t, i) => art('llama', [t], 1000 - i * 10)),
    art('llama', ['latest', 'main'], 500),
    art('llama', ['0.1.0', 'legacy'], 2000),
    art('llama', [], 100),
    art('llama', [], 10),
    ...['0.1.0', '0.2.0', '0.3.0'].map((t, i) => art('bert', [t], 900 - i)),
    art('bert', [], 72),
    art('other', ['1.0.0'], 5000),
    art('other', ['2.0.0'], 4000),
    art('other', [], 5000),
  ];

  it.each<[string, CleanupRule[]]>([
    ['keep 2 per model', [{ kind: 'keep_newest', count: 2, per: 'model' }]],
    ['keep 1 of llama, untagged after a day', [{ kind: 'keep_newest', count: 1, per: 'model', models: 'llama' }, { kind: 'untagged', olderThanHours: 24 }]],
    ['untagged after 50 hours on bert and other', [{ kind: 'untagged', olderThanHours: 50, models: '{bert,other}' }]],
    [
      'everything together',
      [
        { kind: 'keep_newest', count: 3, per: 'model', models: 'b*' },
        { kind: 'keep_newest', count: 1, per: 'model', models: 'llama' },
        { kind: 'keep_newest', count: 1, per: 'major' },
        { kind: 'untagged', olderThanHours: 0, models: 'llama' },
        { kind: 'untagged', olderThanHours: 80, models: 'bert' },
        { kind: 'not_pulled', days: 1 },
      ],
    ],
  ])('%s', (_name, rules) => {
    const p = policy(rules);
    const ours = selectCleanup({ now: NOW, policy: p, artifacts: project });
    const ourDeletes = new Set(ours.candidates.filter((c) => c.action === 'delete').map((c) => `${c.model}@${c.digest}`));
    const theirs = harborDeletes(harborRetentionPolicy(p, 1)!, project, NOW);
    expect(theirs.size).toBeGreaterThan(0);
    expect([...theirs].filter((d) => !ourDeletes.has(d))).toEqual([]);
  });
});
