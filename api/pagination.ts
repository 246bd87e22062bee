import type { Page } from '../db/queries/page';
import { UUID_PATTERN } from '../lib/uuid';
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


/**
 * PostgreSQL's text of a timestamptz (what a time-sorted list's cursor holds), e.g. `2026-12-05 04:15:35.53+00`;
 * the offset is the session's time zone (`+05:30`, or `+00:53:28` for a date before zones).
 */
const PG_TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?[+-]\d{2}(:\d{2}){0,2}$/;

/** A time PostgreSQL takes: the format and a real calendar date (2026-02-31 is none). */
function isPgTime(value: string): boolean {
  const m = PG_TIME.exec(value);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/**
 * A keyset cursor's `{value, id}` (the last row's sort value and uuid), or null when it holds none;
 * `time`: the list sorts by a timestamp, so the value must be one (anything else reached PostgreSQL as a 500).
 */
export function decodeSortKey(cursor: string, opts: { time?: boolean } = {}): { value: string; id: string } | null {
  const raw = decodeCursor(cursor);
  if (raw === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return null;
  }
  const { value, id } = (parsed ?? {}) as { value?: unknown; id?: unknown };
  if (typeof value !== 'string' || typeof id !== 'string' || !UUID_PATTERN.test(id) || !isSingleLine(value)) return null;
  return !opts.time || isPgTime(value) ? { value, id } : null;
}
