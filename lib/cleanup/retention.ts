import type { CleanupPolicy } from './types';

/** A doublestar selector of Harbor's retention (src/lib/selector/selectors/doublestar). */
export interface HarborRetentionSelector {
  kind: 'doublestar';
  decoration: 'matches' | 'excludes' | 'repoMatches' | 'repoExcludes';
  pattern: string;
  /** JSON `{"untagged": bool}`: see UNTAGGED_ONLY and TAGGED_ONLY for what it means with each decoration. */
  extras?: string;
}

export interface HarborRetentionRule {
  priority: number;
  disabled: boolean;
  action: 'retain';
  template: 'latestPushedK' | 'nDaysSinceLastPush' | 'always';
  params: Record<string, number>;
  tag_selectors: HarborRetentionSelector[];
  /** Selectors of one list must all pass (Harbor filters with each in turn). */
  scope_selectors: { repository: HarborRetentionSelector[] };
}

/** The body of Harbor's `POST /retentions` (`PUT /retentions/{id}` takes it with the policy's `id`). */
export interface HarborRetentionPolicy {
  algorithm: 'or';
  rules: HarborRetentionRule[];
  /** An empty cron: no schedule, executions only when triggered. */
  trigger: { kind: 'Schedule'; settings: { cron: string }; references: Record<string, never> };
  scope: { level: 'project'; ref: number };
}

/** Harbor refuses a policy of more rules (server/v2.0/handler/retention.go). */
const MAX_HARBOR_RULES = 15;

/**
 * Tags that are certainly semver releases: MAJOR.MINOR.PATCH of up to four digits each, one
 * optional `v`, no pre-release (a tag cannot hold `+build`). Longer numbers do not match and so
 * count as "not a release": retained, the safe side.
 */
const NUMBER = '{0,[1-9],[1-9][0-9],[1-9][0-9][0-9],[1-9][0-9][0-9][0-9]}';
export const RELEASE_TAG_GLOB = `{v,}${NUMBER}.${NUMBER}.${NUMBER}`;

// Harbor's doublestar tag selector reads `untagged` per decoration: with `matches` it says whether
// untagged artifacts are selected too, with `excludes` whether they are kept out.
const tags = (decoration: 'matches' | 'excludes', pattern: string, untagged: boolean): HarborRetentionSelector[] => [
  { kind: 'doublestar', decoration, pattern, extras: JSON.stringify({ untagged }) },
];
/** Tagged artifacts with a tag that is not a certain release. */
const NOT_ONLY_RELEASES = tags('excludes', RELEASE_TAG_GLOB, true);
const RELEASES = tags('matches', RELEASE_TAG_GLOB, false);
const TAGGED_ONLY = tags('matches', '**', false);
/** Every tag matches `**`, so `excludes` selects no tagged artifact; `untagged: false` lets the untagged in. */
const UNTAGGED_ONLY = tags('excludes', '**', false);

/**
 * A glob matching any of the globs (an absent one: every model), in Harbor's doublestar (v1), which
 * negates a class with `^` only: our globs' `[!…]` is written `[^…]`.
 */
function anyOf(globs: (string | undefined)[]): string {
  if (globs.includes(undefined) || globs.includes('**')) return '**';
  const patterns = [...new Set((globs as string[]).map((g) => g.replace(/\[!/g, '[^')))].sort();
  return patterns.length === 1 ? patterns[0]! : `{${patterns.join(',')}}`;
}
const repositories = (pattern: string, decoration: 'repoMatches' | 'repoExcludes' = 'repoMatches'): HarborRetentionSelector[] => [{ kind: 'doublestar', decoration, pattern }];

/** An `always` rule for the repositories the globs do not reach (all without globs); none when they reach all. */
function alwaysOutside(globs: (string | undefined)[], tagSelectors: HarborRetentionSelector[]) {
  const reached = globs.length === 0 ? undefined : anyOf(globs);
  if (reached === '**') return [];
  return [{ template: 'always' as const, params: {}, tag_selectors: tagSelectors, scope_selectors: { repository: reached === undefined ? repositories('**') : repositories(reached, 'repoExcludes') } }];
}

/** A rule's parameter and the models it reaches. */
interface Scope {
  value: number;
  models: string | undefined;
}

/** Rules of one template and parameter per distinct value, each over the repositories of the globs with it. */
function perValue(template: 'latestPushedK' | 'nDaysSinceLastPush', scopes: Scope[], tagSelectors: HarborRetentionSelector[]) {
  const byValue = new Map<number, (string | undefined)[]>();
  for (const { value, models } of scopes) byValue.set(value, [...(byValue.get(value) ?? []), models]);
  return [...byValue.keys()]
    .sort((a, b) => a - b)
    .map((value) => ({ template, params: { [template]: value }, tag_selectors: tagSelectors, scope_selectors: { repository: repositories(anyOf(byValue.get(value)!)) } }));
}

/**
 * The part of a policy Harbor's tag retention can enforce, as the body of `POST/PUT /retentions`
 * for the project; null when the policy does not ask to mirror or holds nothing Harbor can express.
 *
 * Harbor retains what any rule matches and deletes the rest of each repository a rule reaches, so
 * the mirror retains everything our policy would keep, as far as Harbor can tell:
 * - `keep_newest` per model: the latest pushed K releases per repository. Harbor orders by push
 *   time, not semver (a hotfix pushed after a newer release counts as newer there); per major or
 *   minor lines it cannot express at all, so those repositories keep everything.
 * - in those repositories, every artifact with a tag that is not a release (pre-releases, `latest`).
 * - `untagged` (older than H hours): untagged artifacts pushed within the last ceil(H/24) days are
 *   retained, the older ones are not.
 * - everything else: tagged artifacts outside `keep_newest`'s repositories, untagged ones outside
 *   `untagged`'s: an `always` rule.
 * Harbor never deletes immutable tags; it does not know our approvals, promotions or keep label
 * (its retention selects by tag, not label), nor the other rules, which only our runs apply.
 * Overlapping rules retain the union: the larger K or day count wins, the safe side.
 */
export function harborRetentionPolicy(policy: CleanupPolicy, projectHarborId: number): HarborRetentionPolicy | null {
  if (!policy.mirrorToHarborRetention) return null;
  let keep: Scope[] = policy.rules.flatMap((r) => (r.kind === 'keep_newest' && r.per === 'model' ? [{ value: r.count, models: r.models }] : []));
  let untagged: Scope[] = policy.rules.flatMap((r) => (r.kind === 'untagged' ? [{ value: Math.ceil(r.olderThanHours / 24), models: r.models }] : []));
  if (keep.length === 0 && untagged.length === 0) return null;
  const untaggedGlobs = untagged.map((u) => u.models);
  const keepGlobs = keep.map((k) => k.models);

  const build = () => [
    ...perValue('latestPushedK', keep, RELEASES),
    ...(keep.length > 0 ? [{ template: 'always' as const, params: {}, tag_selectors: NOT_ONLY_RELEASES, scope_selectors: { repository: repositories(anyOf(keepGlobs)) } }] : []),
    ...alwaysOutside(keepGlobs, TAGGED_ONLY),
    // Zero days would retain nothing: the rule is left out instead.
    ...perValue('nDaysSinceLastPush', untagged.filter((u) => u.value > 0), UNTAGGED_ONLY),
    ...alwaysOutside(untaggedGlobs, UNTAGGED_ONLY),
  ];
  let rules = build();
  if (rules.length > MAX_HARBOR_RULES) {
    // Too many distinct counts or ages for Harbor: the largest of each over all their repositories.
    const largest = (scopes: Scope[]) => scopes.map((s) => ({ ...s, value: Math.max(...scopes.map((x) => x.value)) }));
    keep = largest(keep);
    untagged = largest(untagged.filter((u) => u.value > 0));
    rules = build();
  }
  return {
    algorithm: 'or',
    rules: rules.map((rule, i) => ({ priority: i + 1, disabled: false, action: 'retain', ...rule })),
    // Only an automatic policy deletes on its schedule: a semi-automatic one waits for an approval
    // Harbor would not, a report deletes nothing; theirs run when triggered.
    trigger: { kind: 'Schedule', settings: { cron: policy.mode === 'automatic' && policy.schedule ? policy.schedule : '' }, references: {} },
    scope: { level: 'project', ref: projectHarborId },
  };
}
