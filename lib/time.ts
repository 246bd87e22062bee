/** PostgreSQL's text form of a timestamptz as ISO 8601 UTC; `-infinity` (a live row's deleted_at) as null. */
export function isoTime(pg: string | null): string | null {
  if (pg === null || pg === '-infinity' || pg === 'infinity') return null;
  return new Date(pg).toISOString();
}
