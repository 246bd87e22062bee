/** SemVer 2.0.0 (semver.org) for tags: parsing and precedence, nothing else. */

export interface SemVer {
  /** Numeric identifiers are kept as digit strings: no precision is lost past 2^53. */
  major: string;
  minor: string;
  patch: string;
  /** Empty for a release. */
  prerelease: string[];
  /** Ignored for precedence. */
  build: string[];
}

const NUMERIC = '0|[1-9]\\d*';
const PRERELEASE_ID = `(?:${NUMERIC}|\\d*[a-zA-Z-][0-9a-zA-Z-]*)`;
// semver.org's own expression, with one optional leading `v`: tags such as `v1.2.3` are common
// enough that refusing them would leave a model's releases to rules that ignore semver.
const SEMVER = new RegExp(
  `^v?(${NUMERIC})\\.(${NUMERIC})\\.(${NUMERIC})(?:-(${PRERELEASE_ID}(?:\\.${PRERELEASE_ID})*))?(?:\\+([0-9a-zA-Z-]+(?:\\.[0-9a-zA-Z-]+)*))?$`,
);

/** The tag as SemVer, or null when it is none (`latest`, `main`, `1.2`, `01.2.3`, `V1.2.3`…). */
export function parseSemver(tag: string): SemVer | null {
  const m = SEMVER.exec(tag);
  if (!m) return null;
  return { major: m[1]!, minor: m[2]!, patch: m[3]!, prerelease: m[4] ? m[4].split('.') : [], build: m[5] ? m[5].split('.') : [] };
}

export const isPrerelease = (v: SemVer) => v.prerelease.length > 0;

const isNumeric = (id: string) => /^\d+$/.test(id);
const sign = (n: number) => (n < 0 ? -1 : n > 0 ? 1 : 0);

/** Digit strings without leading zeros: the longer is the larger, else the first that differs. */
function compareNumeric(a: string, b: string): number {
  if (a.length !== b.length) return sign(a.length - b.length);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Compares MAJOR.MINOR.PATCH only. */
export function compareCore(a: SemVer, b: SemVer): number {
  return compareNumeric(a.major, b.major) || compareNumeric(a.minor, b.minor) || compareNumeric(a.patch, b.patch);
}

/**
 * SemVer precedence, build metadata ignored: a pre-release is below its release; identifiers
 * compare numerically when both are numeric, numeric below alphanumeric, alphanumeric ones in
 * ASCII order; with an equal prefix the longer list wins.
 */
export function compareSemver(a: SemVer, b: SemVer): number {
  const core = compareCore(a, b);
  if (core !== 0) return core;
  if (a.prerelease.length === 0 || b.prerelease.length === 0) return sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const x = a.prerelease[i]!;
    const y = b.prerelease[i]!;
    const [xn, yn] = [isNumeric(x), isNumeric(y)];
    const c = xn && yn ? compareNumeric(x, y) : xn ? -1 : yn ? 1 : x < y ? -1 : x > y ? 1 : 0;
    if (c !== 0) return c;
  }
  return sign(a.prerelease.length - b.prerelease.length);
}
