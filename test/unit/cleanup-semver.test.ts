import { describe, expect, it } from 'vitest';
import { compareSemver, isPrerelease, parseSemver } from '../../lib/cleanup/semver';

const parse = (tag: string) => {
  const v = parseSemver(tag);
  if (!v) throw new Error(`${tag} should be semver`);
  return v;
};

describe('parsing tags as SemVer 2.0.0', () => {
  it.each([
    ['1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['v1.2.3', { major: '1', minor: '2', patch: '3', prerelease: [], build: [] }],
    ['0.0.0', { major: '0', minor: '0', patch: '0', prerelease: [], build: [] }],
    ['1.0.0-rc.1', { major: '1', minor: '0', patch: '0', prerelease: ['rc', '1'], build: [] }],
    ['1.0.0-x-y.0a', { major: '1', minor: '0', patch: '0', prerelease: ['x-y', '0a'], build: [] }],
    ['1.0.0+build.5', { major: '1', minor: '0', patch: '0', prerelease: [], build: ['build', '5'] }],
    ['1.0.0-beta+exp.sha.5114f85', { major: '1', minor: '0', patch: '0', prerelease: ['beta'], build: ['exp', 'sha', '5114f85'] }],
    ['99999999999999999999.0.0', { major: '99999999999999999999', minor: '0', patch: '0', prerelease: [], build: [] }],
  ])('%s', (tag, expected) => expect(parseSemver(tag)).toEqual(expected));

  it.each(['latest', 'main', '1.2', '1', '01.2.3', '1.02.3', '1.2.03', 'vv1.2.3', 'V1.2.3', '1.2.3-', '1.2.3-01', '1.2.3-a..b', '1.2.3+', '1.2.3.4', ' 1.2.3', '1.2.3 ', 'v', ''])('%j is not semver', (tag) => {
    expect(parseSemver(tag)).toBeNull();
  });

  it.each([
    ['1.0.0', false],
    ['1.0.0+build', false],
    ['1.0.0-0', true],
    ['v2.0.0-alpha', true],
  ])('%s is a pre-release: %s', (tag, expected) => expect(isPrerelease(parse(tag))).toBe(expected));
});

describe('SemVer precedence', () => {
  // Each is below the next (semver.org §11 and the usual traps).
  const ascending = [
    '0.9.9',
    '1.0.0-0',
    '1.0.0-1',
    '1.0.0-2',
    '1.0.0-10',
    '1.0.0-alpha',
    '1.0.0-alpha.1',
    '1.0.0-alpha.beta',
    '1.0.0-beta',
    '1.0.0-beta.2',
    '1.0.0-beta.11',
    '1.0.0-rc.1',
    '1.0.0',
    '1.0.1',
    '1.9.0',
    '1.10.0',
    '2.0.0-rc.1',
    '2.0.0',
    '10.0.0',
    '99999999999999999999.0.0',
  ];
  const pairs = ascending.slice(1).map((higher, i) => [ascending[i]!, higher] as const);

  it.each(pairs)('%s < %s', (lower, higher) => {
    expect(compareSemver(parse(lower), parse(higher))).toBe(-1);
    expect(compareSemver(parse(higher), parse(lower))).toBe(1);
  });

  it('sorts a shuffled list into precedence order', () => {
    const shuffled = [...ascending].sort((a, b) => (a.split('').reverse().join('') < b.split('').reverse().join('') ? -1 : 1));
    expect(shuffled.map(parse).sort(compareSemver)).toEqual(ascending.map(parse));
  });

  it.each([
    ['1.0.0', '1.0.0+build.1'],
    ['1.0.0+build.1', '1.0.0+build.2'],
    ['1.0.0-rc.1+a', '1.0.0-rc.1+b'],
    ['v1.2.3', '1.2.3'],
  ])('%s and %s have equal precedence (build metadata and the v prefix are ignored)', (a, b) => {
    expect(compareSemver(parse(a), parse(b))).toBe(0);
  });
});
