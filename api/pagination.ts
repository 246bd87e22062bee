/** Cursors are the last row's sort key, base64url-encoded so clients treat them as opaque. */
export const encodeCursor = (key: string) => Buffer.from(key, 'utf8').toString('base64url');

/** The key, or null when the text is not a cursor this API made. */
export function decodeCursor(cursor: string): string | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  return encodeCursor(key) === cursor ? key : null;
}

/** Escapes LIKE wildcards so a user's prefix matches literally. */
export const escapeLike = (s: string) => s.replace(/[\\%_]/g, (ch) => `\\${ch}`);
