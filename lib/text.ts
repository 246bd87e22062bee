import { z } from 'zod';

/**
 * C0 control characters (U+0000–U+001F) have no place in names and single-line fields, and
 * PostgreSQL refuses NUL in text and jsonb: a NUL that passed validation would fail the activity
 * that writes it, not the request. Free text may keep tab, newline and carriage return.
 */
const SINGLE_LINE = /^[^\u0000-\u001f]*$/;
const FREE_TEXT = /^[^\u0000-\u0008\u000b\u000c\u000e-\u001f]*$/;

export const CONTROL_CHARACTER_MESSAGE = 'must not contain control characters';

/** The check every request string carries (also after a stricter pattern, so that one stays the documented one). */
// Aborting: a control character is the one thing said about the field, whatever checks follow.
export const singleLine = z.regex(SINGLE_LINE, { error: CONTROL_CHARACTER_MESSAGE, abort: true });
export const freeText = z.regex(FREE_TEXT, { error: `${CONTROL_CHARACTER_MESSAGE} other than tab, newline and carriage return`, abort: true });

export const isSingleLine = (text: string) => SINGLE_LINE.test(text);

/** A single-line request string: no control character at all. */
export const line = () => z.string().check(singleLine);

/**
 * An object of user-chosen keys (single-line, 1…maxKey characters): the document states the keys'
 * rule too (`propertyNames`), which a record's key schema alone leaves out of it.
 */
export const keyedRecord = <V extends z.ZodType>(maxKey: number, value: V) =>
  z.record(line().min(1).max(maxKey), value).meta({ propertyNames: { type: 'string', minLength: 1, maxLength: maxKey, pattern: SINGLE_LINE.source } });

/** A free-text request string (descriptions): tab, newline and carriage return allowed. */
export const text = () => z.string().check(freeText);

/**
 * The dotted path (`event_data.resources.0.tag`) of the first key or string holding a NUL in a
 * parsed JSON value, which PostgreSQL's jsonb and text refuse; undefined when there is none.
 */
export function nulPath(value: unknown, path: string[] = []): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, child] of Object.entries(value)) {
    const at = [...path, key];
    if (key.includes('\u0000')) return at.join('.');
    const found = nulPath(child, at);
    if (found !== undefined) return found;
  }
  return undefined;
}
