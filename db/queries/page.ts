/** One page of a keyset list: its items, and the raw sort key the next page starts after (null on the last page). */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** A page from `limit + 1` rows read in order: the extra row only says whether another page follows. */
export function pageOf<R, T>(rows: R[], limit: number, keyOf: (row: R) => string, toItem: (row: R) => T): Page<T> {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { items: page.map(toItem), next: rows.length > limit && last ? keyOf(last) : null };
}

/** A `{value, id}` keyset position (the last row's sort value and uuid). */
export interface SortKey {
  value: string;
  id: string;
}

export const sortKeyOf = (value: string, id: string) => JSON.stringify({ value, id } satisfies SortKey);

/** Escapes LIKE wildcards so a user's prefix matches literally. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
