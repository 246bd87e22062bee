import { describe, expect, it } from 'vitest';
import { selectCleanup } from '../../lib/cleanup/select';
import { DEFAULT_CLEANUP_POLICY, type CleanupArtifact, type CleanupPolicy, type CleanupReport, type CleanupRule } from '../../lib/cleanup/types';

const NOW = '2026-12-01T00:00:00.000Z';
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const ago = (ms: number) => new Date(Date.parse(NOW) - ms).toISOString();
const daysAgo = (days: number) => ago(days * DAY);

interface Spec {
  /** Tag names, oldest push first; none: untagged. */
  tags?: string[];
  digest?: string;
  /** When the artifact (and its first tag) was pushed; later tags one hour apart each. */
  pushedDaysAgo?: number;
  pushedHoursAgo?: number;
  pulledDaysAgo?: number;
  labels?: string[];
  approved?: boolean;
  promoted?: boolean;
  archivedDaysAgo?: number;
  immutable?: string[];
  /** [digest, size]; default: a manifest blob of its own of size 1. */
  blobs?: [string, number][];
}

/** An artifact of `model`, fresh and pulled just now unless the spec says otherwise. */
function artifact(model: string, spec: Spec = {}): CleanupArtifact {
  const tags = spec.tags ?? [];
  const digest = spec.digest ?? `sha256:${model}-${tags.join('+') || 'untagged'}`;
  const pushedMs = spec.pushedHoursAgo !== undefined ? spec.pushedHoursAgo * HOUR : (spec.pushedDaysAgo ?? 0) * DAY;
  return {
    model,
    digest,
    tags: tags.map((name, i) => ({ name, pushedAt: ago(pushedMs - i * HOUR), immutable: spec.immutable?.includes(name) ?? false })),
    pushedAt: ago(pushedMs),
    ...(spec.pulledDaysAgo !== undefined ? { pulledAt: daysAgo(spec.pulledDaysAgo) } : {}),
    labels: spec.labels ?? [],
    approved: spec.approved ?? false,
    promoted: spec.promoted ?? false,
    ...(spec.archivedDaysAgo !== undefined ? { modelArchivedAt: daysAgo(spec.archivedDaysAgo) } : {}),
    blobs: (spec.blobs ?? [[digest, 1]]).map(([d, size]) => ({ digest: d, size })),
  };
}

/** One single-tag artifact per tag, the first pushed `days` days ago, each next one a day later. */
const releases = (model: string, tags: string[], days = 100) => tags.map((tag, i) => artifact(model, { tags: [tag], pushedDaysAgo: days - i }));

const policy = (rules: CleanupRule[], more: Partial<CleanupPolicy> = {}): CleanupPolicy => ({ ...DEFAULT_CLEANUP_POLICY, rules, ...more });
const run = (rules: CleanupRule[], artifacts: CleanupArtifact[], more: Partial<CleanupPolicy> = {}) => selectCleanup({ now: NOW, policy: policy(rules, more), artifacts });

const ref = (v: { model: string; tag: string | null; digest: string }) => `${v.model}:${v.tag ?? `@${v.digest}`}`;
/** The candidates as `model:tag action`, in report order. */
const candidates = (r: CleanupReport) => r.candidates.map((c) => `${ref(c)} ${c.action}`);
const candidateTags = (r: CleanupReport) => r.candidates.map((c) => c.tag);
const protectedOnes = (r: CleanupReport) => r.protected.map((p) => `${ref(p)} ${p.protections.join(',')}`);
const reasons = (r: CleanupReport) => Object.fromEntries(r.candidates.map((c) => [ref(c), c.selectedBy.map((s) => s.reason)]));

describe('keep_newest: semver releases per model, major or minor line', () => {
  it.each<[string, KeepNewestPer, number, string[], string[]]>([
    ['1.10.0 is newer than 1.9.0 (semver, not push order)', 'model', 2, ['1.10.0', '1.9.0', '1.0.0', '1.2.0'], ['1.0.0', '1.2.0']],
    ['pre-releases and non-semver tags are untouched', 'model', 1, ['1.0.0', '2.0.0-rc.1', 'latest', 'main', '1.2', '01.2.3', '1.1.0'], ['1.0.0']],
    ['the v prefix is semver', 'model', 1, ['v1.0.0', 'v1.1.0', '1.2.0'], ['v1.0.0', 'v1.1.0']],
    ['build metadata: equal precedence, the later push counts as newer', 'model', 1, ['1.0.0+b1', '1.0.0+b2'], ['1.0.0+b1']],
    ['per major: 1.x and 2.x each keep theirs', 'major', 1, ['1.0.0', '1.1.0', '2.0.0', '1.2.0', '2.1.0', '3.0.0'], ['1.0.0', '1.1.0', '2.0.0']],
    ['per major, two each', 'major', 2, ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0'], ['1.0.0']],
    ['per minor: 1.2.x and 1.3.x each keep theirs', 'minor', 2, ['1.2.0', '1.2.1', '1.2.10', '1.3.0', '1.3.1', '1.3.2', '2.0.0'], ['1.2.0', '1.3.0']],
    ['fewer releases than the count: nothing', 'model', 5, ['1.0.0', '2.0.0'], []],
  ])('%s', (_name, per, count, tags, expected) => {
    const report = run([{ kind: 'keep_newest', count, per }], releases('m', tags));
    expect(candidateTags(report).sort()).toEqual([...expected].sort());
    expect(report.protected).toEqual([]);
  });

  it('says why, naming the line', () => {
    const artifacts = releases('m', ['1.0.0', '1.1.0', '1.2.0', '2.0.0', '2.1.0']);
    expect(reasons(run([{ kind: 'keep_newest', count: 1, per: 'major' }], artifacts))).toEqual({
      'm:1.0.0': ['release 1.0.0 is older than the newest 1 of line 1.x'],
      'm:1.1.0': ['release 1.1.0 is older than the newest 1 of line 1.x'],
      'm:2.0.0': ['release 2.0.0 is older than the newest 1 of line 2.x'],
    });
    expect(reasons(run([{ kind: 'keep_newest', count: 2, per: 'minor' }], releases('m', ['1.2.0', '1.2.1', '1.2.2'])))).toEqual({
      'm:1.2.0': ['release 1.2.0 is older than the newest 2 of line 1.2.x'],
    });
    expect(reasons(run([{ kind: 'keep_newest', count: 3, per: 'model' }], releases('m', ['1.0.0', '1.1.0', '1.2.0', '2.0.0'])))).toEqual({
      'm:1.0.0': ['release 1.0.0 is older than the newest 3 of model m'],
    });
  });

  it('counts per model, never across models', () => {
    const report = run([{ kind: 'keep_newest', count: 1, per: 'model' }], [...releases('a', ['1.0.0', '2.0.0']), ...releases('b', ['3.0.0'])]);
    expect(candidates(report)).toEqual(['a:1.0.0 delete']);
  });
});
type KeepNewestPer = 'model' | 'major' | 'minor';

describe('prereleases: once a release of the same or a higher version exists, and old enough', () => {
  it.each<[string, [string, number][], number, string[]]>([
    ['the release of the same core supersedes it', [['1.0.0-rc.1', 40], ['1.0.0', 35]], 30, ['1.0.0-rc.1']],
    ['a higher release supersedes it', [['0.9.0-beta', 40], ['1.0.0', 35]], 30, ['0.9.0-beta']],
    ['no release at or above its core: kept', [['1.1.0-rc.1', 40], ['1.0.0', 35]], 30, []],
    ['a higher pre-release is no release', [['1.0.0-alpha', 40], ['1.0.0-beta', 35]], 30, []],
    ['pushed too recently: kept', [['1.0.0-rc.1', 20], ['1.0.0', 10]], 30, []],
    ['every pre-release of the line', [['2.0.0-alpha', 50], ['2.0.0-alpha.1', 49], ['2.0.0-beta', 48], ['2.0.0-rc.1', 47], ['2.0.0', 46], ['2.1.0-rc.1', 45]], 30, ['2.0.0-alpha', '2.0.0-alpha.1', '2.0.0-beta', '2.0.0-rc.1']],
    ['non-semver tags are never pre-releases', [['1.0-rc1', 40], ['1.0.0rc1', 40], ['01.0.0-rc.1', 40], ['1.0.0', 35]], 30, []],
    ['zero days: any superseded one', [['1.0.0-rc.1', 0.5], ['1.0.0', 0.1]], 0, ['1.0.0-rc.1']],
  ])('%s', (_name, tags, olderThanDays, expected) => {
    const artifacts = tags.map(([tag, days]) => artifact('m', { tags: [tag], pushedDaysAgo: days }));
    expect(candidateTags(run([{ kind: 'prereleases', olderThanDays }], artifacts))).toEqual(expected);
  });

  it('names the release that supersedes it and the age', () => {
    const artifacts = [artifact('m', { tags: ['0.9.0-rc.2'], pushedDaysAgo: 45 }), ...releases('m', ['0.9.0', '1.0.0'], 40)];
    expect(reasons(run([{ kind: 'prereleases', olderThanDays: 30 }], artifacts))).toEqual({ 'm:0.9.0-rc.2': ['pre-release 0.9.0-rc.2 is superseded by release 0.9.0, pushed 45 days ago'] });
  });
});

describe('not_pulled: not pulled for D days and pushed more than D days ago, any tag', () => {
  const head = artifact('m', { tags: ['9.0.0'] }); // the latest release, fresh: protected anyway
  it.each<[string, Spec, string[]]>([
    ['pulled 45 days ago, pushed 90', { tags: ['latest'], pushedDaysAgo: 90, pulledDaysAgo: 45 }, ['latest']],
    ['never pulled, pushed 90', { tags: ['1.0.0'], pushedDaysAgo: 90 }, ['1.0.0']],
    ['pulled 10 days ago', { tags: ['1.0.0'], pushedDaysAgo: 90, pulledDaysAgo: 10 }, []],
    ['never pulled but pushed 10 days ago', { tags: ['1.0.0'], pushedDaysAgo: 10 }, []],
    ['untagged artifacts are the untagged rule’s', { pushedDaysAgo: 90 }, []],
  ])('%s', (_name, spec, expected) => {
    expect(candidateTags(run([{ kind: 'not_pulled', days: 30 }], [head, artifact('m', spec)]))).toEqual(expected);
  });

  it('reads the age of each tag, not only the artifact’s', () => {
    // An old artifact re-tagged yesterday: the new tag is not old enough.
    const old = artifact('m', { tags: ['1.0.0'], pushedDaysAgo: 90 });
    old.tags.push({ name: 'stable', pushedAt: daysAgo(1), immutable: false });
    expect(candidates(run([{ kind: 'not_pulled', days: 30 }], [head, old]))).toEqual(['m:1.0.0 untag']);
  });

  it('says when it was last pulled', () => {
    const artifacts = [head, artifact('m', { tags: ['a'], pushedDaysAgo: 90, pulledDaysAgo: 45 }), artifact('m', { tags: ['b'], pushedDaysAgo: 91 })];
    expect(reasons(run([{ kind: 'not_pulled', days: 30 }], artifacts))).toEqual({
      'm:b': ['never pulled, pushed 91 days ago'],
      'm:a': ['not pulled for 45 days (last pull 2026-10-17), pushed 90 days ago'],
    });
  });
});

describe('untagged: artifacts without tags older than H hours', () => {
  it.each<[string, Spec[], number, string[]]>([
    ['older than the hours', [{ digest: 'sha256:old', pushedHoursAgo: 30 }, { digest: 'sha256:new', pushedHoursAgo: 10 }], 24, ['m:@sha256:old delete']],
    ['zero hours: every one', [{ digest: 'sha256:a', pushedHoursAgo: 1 }, { digest: 'sha256:b', pushedHoursAgo: 2 }], 0, ['m:@sha256:b delete', 'm:@sha256:a delete']],
    ['tagged artifacts are not its', [{ tags: ['x'], pushedHoursAgo: 300 }], 24, []],
  ])('%s', (_name, specs, olderThanHours, expected) => {
    const report = run([{ kind: 'untagged', olderThanHours }], specs.map((s) => artifact('m', s)));
    expect(candidates(report)).toEqual(expected);
  });

  it('says how old', () => {
    expect(reasons(run([{ kind: 'untagged', olderThanHours: 24 }], [artifact('m', { digest: 'sha256:u', pushedHoursAgo: 30 })]))).toEqual({ 'm:@sha256:u': ['untagged, pushed 30 hours ago'] });
  });
});

describe('archived_models: every version of a model archived more than D days ago', () => {
  const model = (name: string, archivedDaysAgo: number) => [
    artifact(name, { tags: ['1.0.0', 'stable'], pushedDaysAgo: 100, archivedDaysAgo }),
    artifact(name, { tags: ['2.0.0'], pushedDaysAgo: 50, archivedDaysAgo }),
    artifact(name, { digest: `sha256:${name}-u`, pushedDaysAgo: 60, archivedDaysAgo }),
  ];
  it('selects everything left of it, its latest release included', () => {
    const report = run([{ kind: 'archived_models', afterDays: 30 }], [...model('gone', 40), ...model('recent', 10), ...releases('live', ['1.0.0'])]);
    expect(candidates(report)).toEqual(['gone:1.0.0 untag', 'gone:stable delete', 'gone:@sha256:gone-u delete', 'gone:2.0.0 delete']);
    expect(report.protected).toEqual([]);
    expect(report.candidates[0]!.selectedBy).toEqual([{ index: 0, kind: 'archived_models', reason: 'model archived 40 days ago (2026-10-22)' }]);
    expect(report.totals).toMatchObject({ candidates: 4, protected: 0, kept: 5 });
  });

  it('still leaves approved, promoted, labelled and immutable versions', () => {
    const artifacts = [
      artifact('gone', { tags: ['1.0.0'], archivedDaysAgo: 40, approved: true }),
      artifact('gone', { tags: ['1.1.0'], archivedDaysAgo: 40, promoted: true }),
      artifact('gone', { tags: ['1.2.0'], archivedDaysAgo: 40, labels: ['keep'] }),
      artifact('gone', { tags: ['1.3.0'], archivedDaysAgo: 40, immutable: ['1.3.0'] }),
    ];
    expect(protectedOnes(run([{ kind: 'archived_models', afterDays: 30 }], artifacts))).toEqual(['gone:1.0.0 approved', 'gone:1.1.0 promoted', 'gone:1.2.0 label', 'gone:1.3.0 immutable']);
  });
});

describe('protections: never overridden, every one that applies listed', () => {
  const notPulled: CleanupRule[] = [{ kind: 'not_pulled', days: 30 }];
  // 1.0.0 is old and never pulled (selected); 2.0.0 is the latest release, fresh.
  const withOld = (spec: Partial<Spec>) => [artifact('m', { tags: ['1.0.0'], pushedDaysAgo: 90, ...spec }), artifact('m', { tags: ['2.0.0'], pushedDaysAgo: 1 })];

  it.each<[string, CleanupArtifact[], string[], Partial<CleanupPolicy>?]>([
    ['approved', withOld({ approved: true }), ['m:1.0.0 approved']],
    ['promoted', withOld({ promoted: true }), ['m:1.0.0 promoted']],
    ['the keep label', withOld({ labels: ['keep', 'other'] }), ['m:1.0.0 label']],
    ['a configured label', withOld({ labels: ['retain'] }), ['m:1.0.0 label'], { keepLabel: 'retain' }],
    ['immutable tag', withOld({ immutable: ['1.0.0'] }), ['m:1.0.0 immutable']],
    ['latest release (the highest, however old)', [artifact('m', { tags: ['2.0.0'], pushedDaysAgo: 100 }), artifact('m', { tags: ['1.5.0'], pushedDaysAgo: 90 })], ['m:2.0.0 latest_release']],
    ['latest release: a pre-release is not one', [artifact('m', { tags: ['1.0.0'], pushedDaysAgo: 100 }), artifact('m', { tags: ['2.0.0-rc.1'], pushedDaysAgo: 90 })], ['m:1.0.0 latest_release']],
    ['latest release of a model without releases: its latest pushed tag', [artifact('m', { tags: ['main'], pushedDaysAgo: 100 }), artifact('m', { tags: ['dev', '2.0.0-rc.1'], pushedDaysAgo: 90 })], ['m:2.0.0-rc.1 latest_release']],
    ['all of them together', withOld({ approved: true, promoted: true, labels: ['keep'], immutable: ['1.0.0'] }).slice(0, 1), ['m:1.0.0 latest_release,approved,promoted,label,immutable']],
  ])('%s', (_name, artifacts, expected, more) => {
    const report = run(notPulled, artifacts, more);
    expect(protectedOnes(report)).toEqual(expected);
    expect(report.protected.every((p) => p.selectedBy.length > 0)).toBe(true);
    expect(report.candidates.map(ref)).not.toContain(expected[0]!.split(' ')[0]);
  });

  it('a label other than the configured one protects nothing', () => {
    expect(run(notPulled, withOld({ labels: ['keep'] }), { keepLabel: 'retain' }).protected).toEqual([]);
  });

  it('an untagged artifact: only approved, promoted or label (no latest release, no immutability)', () => {
    const untagged = (spec: Spec) => artifact('m', { pushedDaysAgo: 5, ...spec });
    const report = run(
      [{ kind: 'untagged', olderThanHours: 1 }],
      [untagged({ digest: 'sha256:a', approved: true }), untagged({ digest: 'sha256:b', promoted: true, labels: ['keep'] }), untagged({ digest: 'sha256:c' })],
    );
    expect(protectedOnes(report)).toEqual(['m:@sha256:a approved', 'm:@sha256:b promoted,label']);
    expect(candidates(report)).toEqual(['m:@sha256:c delete']);
  });

  it('protects a version, not its artifact’s other tags', () => {
    const report = run(notPulled, [artifact('m', { tags: ['1.0.0', 'old'], pushedDaysAgo: 90, immutable: ['1.0.0'] }), artifact('m', { tags: ['2.0.0'] })]);
    expect(protectedOnes(report)).toEqual(['m:1.0.0 immutable']);
    expect(candidates(report)).toEqual(['m:old untag']);
  });

  it('lists every rule that would have selected a protected version', () => {
    const artifacts = [...releases('m', ['1.0.0', '1.1.0'], 90).map((a) => ({ ...a, approved: a.tags[0]!.name === '1.0.0' }))];
    const report = run([{ kind: 'keep_newest', count: 1, per: 'model' }, ...notPulled], artifacts);
    expect(report.protected).toEqual([
      {
        model: 'm',
        tag: '1.0.0',
        digest: 'sha256:m-1.0.0',
        protections: ['approved'],
        selectedBy: [
          { index: 0, kind: 'keep_newest', reason: 'release 1.0.0 is older than the newest 1 of model m' },
          { index: 1, kind: 'not_pulled', reason: 'never pulled, pushed 90 days ago' },
        ],
      },
      { model: 'm', tag: '1.1.0', digest: 'sha256:m-1.1.0', protections: ['latest_release'], selectedBy: [{ index: 1, kind: 'not_pulled', reason: 'never pulled, pushed 89 days ago' }] },
    ]);
  });
});

describe('multi-tag artifacts: untag while others stay, delete with the last', () => {
  it.each<[string, Spec, CleanupRule[], string[]]>([
    ['every tag goes: untags oldest first, the last deletes', { tags: ['1.0.0', '1.0', 'stable'], pushedDaysAgo: 90 }, [{ kind: 'not_pulled', days: 30 }], ['m:1.0.0 untag', 'm:1.0 untag', 'm:stable delete']],
    ['one tag stays (not selected): the others untag', { tags: ['1.0.0', 'prod'], pushedDaysAgo: 90 }, [{ kind: 'keep_newest', count: 1, per: 'model' }], ['m:1.0.0 untag']],
    ['one tag stays (protected): the others untag', { tags: ['1.0.0', 'prod', 'x'], pushedDaysAgo: 90, immutable: ['prod'] }, [{ kind: 'not_pulled', days: 30 }], ['m:1.0.0 untag', 'm:x untag']],
  ])('%s', (_name, spec, rules, expected) => {
    expect(candidates(run(rules, [artifact('m', spec), artifact('m', { tags: ['5.0.0'] })]))).toEqual(expected);
  });

  it('lists artifacts per model, oldest push first, each artifact’s untags before its delete', () => {
    const artifacts = [
      artifact('b', { tags: ['1.0.0', 'x'], pushedDaysAgo: 50 }),
      artifact('a', { tags: ['2.0.0'], pushedDaysAgo: 60 }),
      artifact('a', { tags: ['1.0.0', 'y'], pushedDaysAgo: 70 }),
      artifact('a', { digest: 'sha256:u', pushedDaysAgo: 65 }),
      ...releases('a', ['9.0.0'], 0),
      ...releases('b', ['9.0.0'], 0),
    ];
    expect(candidates(run([{ kind: 'not_pulled', days: 30 }, { kind: 'untagged', olderThanHours: 0 }], artifacts))).toEqual([
      'a:1.0.0 untag',
      'a:y delete',
      'a:@sha256:u delete',
      'a:2.0.0 delete',
      'b:1.0.0 untag',
      'b:x delete',
    ]);
  });
});

describe('bytes: size of the artifact, freed only when no staying artifact holds the blob', () => {
  const rules: CleanupRule[] = [{ kind: 'not_pulled', days: 30 }];
  const old = (tags: string[], blobs: [string, number][]) => artifact('m', { tags, pushedDaysAgo: 90, blobs });
  const latest = (blobs: [string, number][]) => artifact('m', { tags: ['9.0.0'], blobs });

  it.each<[string, CleanupArtifact[], Record<string, [number, number]>, { sizeBytes: number; freesBytes: number }]>([
    ['own blobs all freed', [old(['a'], [['m-a', 1], ['l-a', 10]]), latest([['m-9', 1]])], { 'm:a': [11, 11] }, { sizeBytes: 11, freesBytes: 11 }],
    ['a layer shared with a kept version is not freed', [old(['a'], [['m-a', 1], ['base', 100]]), latest([['m-9', 1], ['base', 100]])], { 'm:a': [101, 1] }, { sizeBytes: 101, freesBytes: 1 }],
    [
      'a layer shared by two deleted: once in the totals, in neither candidate',
      [old(['a'], [['m-a', 1], ['shared', 50]]), old(['b'], [['m-b', 2], ['shared', 50]]), latest([['m-9', 1]])],
      { 'm:a': [51, 1], 'm:b': [52, 2] },
      { sizeBytes: 103, freesBytes: 53 },
    ],
    [
      'a layer shared with an artifact that only loses a tag stays',
      [old(['a'], [['m-a', 1], ['shared', 50]]), old(['b', 'keepme'], [['m-b', 2], ['shared', 50]]), latest([['m-9', 1]])].map((a) => (a.tags[1]?.name === 'keepme' ? { ...a, tags: [a.tags[0]!, { ...a.tags[1]!, immutable: true }] } : a)),
      { 'm:a': [51, 1], 'm:b': [52, 0] },
      { sizeBytes: 51, freesBytes: 1 },
    ],
    ['a blob listed twice in one artifact counts once', [old(['a'], [['m-a', 1], ['l', 10], ['l', 10]]), latest([['m-9', 1]])], { 'm:a': [11, 11] }, { sizeBytes: 11, freesBytes: 11 }],
    ['untag frees nothing; the delete frees the artifact', [old(['a', 'b'], [['m-ab', 1], ['l', 10]]), latest([['m-9', 1]])], { 'm:a': [11, 0], 'm:b': [11, 11] }, { sizeBytes: 11, freesBytes: 11 }],
  ])('%s', (_name, artifacts, perCandidate, totals) => {
    const report = run(rules, artifacts);
    expect(Object.fromEntries(report.candidates.map((c) => [ref(c), [c.sizeBytes, c.freesBytes]]))).toEqual(perCandidate);
    expect(report.totals).toMatchObject({ ...totals, freesBytesEstimated: false });
    expect(report.candidates.every((c) => !c.freesBytesEstimated)).toBe(true);
  });

  // An artifact whose manifest was not read is one blob: what it shares is not seen, and the report says so.
  const unread = (a: CleanupArtifact): CleanupArtifact => ({ ...a, blobs: [{ digest: a.digest, size: 101 }], blobsUnknown: true });
  it.each<[string, CleanupArtifact[], Record<string, boolean>]>([
    ['the deleted artifact unread: its own figure', [unread(old(['a'], [])), latest([['m-9', 1], ['base', 100]])], { 'm:a': true }],
    ['a kept artifact unread: it may share any deleted one\'s layers', [old(['a'], [['m-a', 1], ['base', 100]]), unread(latest([]))], { 'm:a': true }],
    ['an untag frees nothing, estimated or not', [unread(old(['a', 'b'], [])), latest([['m-9', 1]])], { 'm:a': false, 'm:b': true }],
  ])('estimated: %s', (_name, artifacts, estimated) => {
    const report = run(rules, artifacts);
    expect(Object.fromEntries(report.candidates.map((c) => [ref(c), c.freesBytesEstimated]))).toEqual(estimated);
    expect(report.totals.freesBytesEstimated).toBe(true);
  });
});

describe('models glob narrows a rule to the models whose name matches', () => {
  const artifacts = ['llama-7b', 'llama-13b', 'mistral', 'bert'].flatMap((m) => releases(m, ['1.0.0', '2.0.0']));
  it.each<[string | undefined, string[]]>([
    [undefined, ['bert', 'llama-13b', 'llama-7b', 'mistral']],
    ['**', ['bert', 'llama-13b', 'llama-7b', 'mistral']],
    ['llama-*', ['llama-13b', 'llama-7b']],
    ['{mistral,bert}', ['bert', 'mistral']],
    ['llama-?b', ['llama-7b']],
    ['nothing', []],
  ])('%s', (models, expected) => {
    const report = run([{ kind: 'keep_newest', count: 1, per: 'model', ...(models !== undefined ? { models } : {}) }], artifacts);
    expect(report.candidates.map((c) => c.model)).toEqual(expected);
  });

  it('two rules of one kind on different models each select their own', () => {
    const report = run(
      [
        { kind: 'keep_newest', count: 1, per: 'model', models: 'llama-*' },
        { kind: 'keep_newest', count: 1, per: 'model', models: '*-7b' },
      ],
      artifacts,
    );
    expect(report.candidates.map((c) => [c.model, c.selectedBy.map((s) => s.index)])).toEqual([
      ['llama-13b', [0]],
      ['llama-7b', [0, 1]],
    ]);
  });
});

describe('the report as a whole', () => {
  const project = () => [
    ...releases('llama', ['1.0.0', '1.1.0', '1.2.0-rc.1', '1.2.0', '2.0.0-beta', 'latest'], 120),
    artifact('llama', { tags: ['0.9.0', 'legacy'], pushedDaysAgo: 200, pulledDaysAgo: 100, blobs: [['m-09', 1], ['base', 1000]] }),
    artifact('llama', { digest: 'sha256:dangling', pushedDaysAgo: 3, blobs: [['m-d', 1], ['base', 1000], ['own', 5]] }),
    artifact('bert', { tags: ['v1.0.0'], pushedDaysAgo: 300, approved: true }),
    artifact('bert', { tags: ['v1.1.0'], pushedDaysAgo: 200 }),
    artifact('old', { tags: ['1.0.0', 'stable'], pushedDaysAgo: 400, archivedDaysAgo: 100 }),
  ];
  const rules: CleanupRule[] = [
    { kind: 'keep_newest', count: 1, per: 'major' },
    { kind: 'prereleases', olderThanDays: 30 },
    { kind: 'not_pulled', days: 60 },
    { kind: 'untagged', olderThanHours: 24 },
    { kind: 'archived_models', afterDays: 90 },
  ];

  it('adds up: every version is a candidate, protected or kept', () => {
    const artifacts = project();
    const report = run(rules, artifacts);
    const versions = artifacts.reduce((n, a) => n + Math.max(1, a.tags.length), 0);
    expect(report.totals.candidates + report.totals.protected + report.totals.kept).toBe(versions);
    expect(report.totals.candidates).toBe(report.candidates.length);
    expect(report.totals.protected).toBe(report.protected.length);
    expect(candidates(report)).toEqual([
      'llama:0.9.0 untag',
      'llama:legacy delete',
      'llama:1.0.0 delete',
      'llama:1.1.0 delete',
      'llama:1.2.0-rc.1 delete',
      'llama:2.0.0-beta delete',
      'llama:latest delete',
      'llama:@sha256:dangling delete',
      'old:1.0.0 untag',
      'old:stable delete',
    ]);
    expect(protectedOnes(report)).toEqual(['bert:v1.0.0 approved', 'bert:v1.1.0 latest_release', 'llama:1.2.0 latest_release']);
    // `base` stays with nothing: both holders go, so it counts in the totals only.
    expect(report.candidates.find((c) => c.tag === 'legacy')!.freesBytes).toBe(1);
    expect(report.candidates.find((c) => c.digest === 'sha256:dangling')!.freesBytes).toBe(6);
  });

  it('is deterministic: the same for any order of artifacts and tags', () => {
    const artifacts = project();
    const expected = run(rules, artifacts);
    const reversed = [...artifacts].reverse().map((a) => ({ ...a, tags: [...a.tags].reverse(), blobs: [...a.blobs].reverse() }));
    expect(run(rules, reversed)).toEqual(expected);
    const byDigest = [...artifacts].sort((a, b) => (a.digest < b.digest ? 1 : -1));
    expect(JSON.stringify(run(rules, byDigest))).toBe(JSON.stringify(expected));
  });

  it('selects nothing without rules', () => {
    const report = run([], project());
    expect(report).toEqual({ candidates: [], protected: [], totals: { candidates: 0, protected: 0, kept: 13, sizeBytes: 0, freesBytes: 0, freesBytesEstimated: false } });
  });

  /** `models` models of `perModel` artifacts: releases, pre-releases, other tags and untagged ones, shared and own layers. */
  function large(models: number, perModel: number): CleanupArtifact[] {
    const artifacts: CleanupArtifact[] = [];
    for (let m = 0; m < models; m++) {
      for (let i = 0; i < perModel; i++) {
        const tags = i % 10 === 0 ? [] : [`${i % 7}.${i % 13}.${i}`, ...(i % 3 === 0 ? [`${i % 7}.${i % 13}.${i}-rc.1`] : []), ...(i % 5 === 0 ? [`build-${i}`] : [])];
        const blobs: [string, number][] = [[`manifest-${m}-${i}`, 1], [`base-${m % 4}`, 1000], [`layer-${m}-${i}`, 10], [`layer-${m}-${i >> 2}`, 100]];
        artifacts.push(artifact(`model-${m}`, { tags, digest: `sha256:${m}-${i}`, pushedDaysAgo: 400 - i, pulledDaysAgo: i % 4 === 0 ? undefined : 500 - 2 * i, approved: i % 17 === 0, blobs }));
      }
    }
    return artifacts;
  }
  /**
   * The best of three runs, in milliseconds of this process's CPU: the machine's two cores are shared
   * with the rest of the test run, and wall time would measure them.
   */
  function cpuTime(artifacts: CleanupArtifact[]) {
    let best = Infinity;
    for (let i = 0; i < 3; i++) {
      const started = process.cpuUsage();
      run(rules, artifacts);
      const used = process.cpuUsage(started);
      best = Math.min(best, (used.user + used.system) / 1000);
    }
    return best;
  }

  it('takes 10,000 versions in well under a second, and four times the versions about four times as long', () => {
    const artifacts = large(30, 250);
    const versions = artifacts.reduce((n, a) => n + Math.max(1, a.tags.length), 0);
    expect(versions).toBeGreaterThanOrEqual(10_000);
    const report = run(rules, artifacts);
    expect(report.totals.candidates + report.totals.protected + report.totals.kept).toBe(versions);
    expect(report.totals.candidates).toBeGreaterThan(5000);
    // A quadratic loop would take 16 times as long for four times the versions.
    const [quarter, whole] = [cpuTime(large(30, 63)), cpuTime(artifacts)];
    expect(whole).toBeLessThan(1000);
    expect(whole / quarter).toBeLessThan(8);
  }, 60_000);
});
