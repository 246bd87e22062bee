import type { Page } from '../db/queries/page';
import { isSingleLine } from '../lib/text';

/** Cursors are the last row's sort key, base64url-encoded so clients treat them as opaque. */
export const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

/**
 * The key, or null when the text is not a cursor this API made. Keys are single-line names or JSON,
 * never with a control character: one would reach the database (a NUL is an error there, not a row).
 */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return encodeCursor(key) === cursor && isSingleLine(key) ? key : null;
}

/** A page as every list answers it: the next page's key as an opaque cursor. */
export const pageResponse = <T>(page: Page<T>) => ({ items: page.items, nextCursor: page.next === null ? null : encodeCursor(page.next) });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A keyset cursor's `{value, id}` (the last row's sort value and uuid), or null when it holds none. */
export function decodeSortKey(cursor: string): { value: string; id: string } | null {
  const raw = decodeCursor(cursor);
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  const { value, id } = (parsed ?? {}) as { value?: unknown; id?: unknown };
  return typeof value === 'string' && typeof id === 'string' && UUID.test(id) ? { value, id } : null;
}
