import type { HarborSchemas } from '../../activities/harbor';
import { doublestarMatch } from './doublestar';
import type { EmulatorState } from './state';

type Selector = HarborSchemas['ImmutableSelector'] | HarborSchemas['RetentionSelector'];

/** Harbor's doublestar `match`: an empty pattern matches anything. */
const match = (pattern: string | undefined, value: string) => !pattern || doublestarMatch(pattern, value);

/** A repository selector (`repoMatches`/`repoExcludes`) on the repository name without its project, as Harbor's lib/selector does. */
export function repositorySelected(selector: Selector, shortName: string): boolean {
  const matched = match(selector.pattern, shortName);
  return selector.decoration === 'repoExcludes' ? !matched : matched;
}

/**
 * A tag selector on an artifact's tags (src/lib/selector/selectors/doublestar): `matches` selects it
 * when one tag matches, `excludes` when one tag does not; an untagged artifact is selected as the
 * `extras` `{"untagged": …}` says (default: true for `matches`, false for `excludes`).
 */
export function tagsSelected(selector: Selector, tags: string[], untaggedDefault?: boolean): boolean {
  const excludes = selector.decoration === 'excludes';
  if (tags.length === 0) {
    let untagged = untaggedDefault ?? !excludes;
    try {
      const extras = selector.extras ? (JSON.parse(selector.extras) as { untagged?: unknown }) : {};
      if (typeof extras.untagged === 'boolean') untagged = extras.untagged;
    } catch {
      // Harbor ignores extras it cannot parse.
    }
    return excludes ? !untagged : untagged;
  }
  return tags.some((t) => (excludes ? !match(selector.pattern, t) : match(selector.pattern, t)));
}

/**
 * Whether a tag is immutable, as src/pkg/immutable/match/rule does it: the first enabled rule of the
 * project whose first repository selector takes the repository and whose first tag selector takes
 * the tag (untagged never).
 */
export function isImmutable(state: EmulatorState, projectId: number, repository: string, tag: string): boolean {
  const shortName = repository.slice(repository.indexOf('/') + 1);
  for (const rule of state.immutableRules.values()) {
    if (rule.projectId !== projectId || rule.disabled) continue;
    const repoSelector = rule.scope_selectors?.repository?.[0];
    const tagSelector = rule.tag_selectors?.[0];
    if (!repoSelector || !tagSelector) continue;
    if (repositorySelected(repoSelector, shortName) && tagsSelected(tagSelector, [tag], false)) return true;
  }
  return false;
}
