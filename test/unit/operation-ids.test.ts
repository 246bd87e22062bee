import { describe, expect, it } from 'vitest';
import { decodeOperationId, encodeOperationId } from '../../api/operations';
import { decodeCursor, decodeSortKey, encodeCursor } from '../../api/pagination';
import { escapeLike } from '../../db/queries/page';

describe('operation ids', () => {
  it('round-trip a business-key workflow id and run id', () => {
    const runId = '0195f5c2-1b2c-7d3e-8f40-a1b2c3d4e5f6';
    const id = encodeOperationId('project:harbor.local/acme', runId);
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOperationId(id)).toEqual({ workflowId: 'project:harbor.local/acme', runId });
  });

  // A run id Temporal refuses (not a UUID) and a NUL in the workflow id answered 500 (Temporal's INVALID_ARGUMENT).
  it.each(['', 'not base64!', Buffer.from('no-run-id').toString('base64url'), Buffer.from('a\nb\nc').toString('base64url'), Buffer.from('x\0y\nz').toString('base64url'), Buffer.from('x\0y\n0195f5c2-1b2c-7d3e-8f40-a1b2c3d4e5f6').toString('base64url')])(
    'refuse %j',
    (id) => expect(decodeOperationId(id)).toBeNull(),
  );
});

describe('cursors', () => {
  it('round-trip and refuse foreign text', () => {
    expect(decodeCursor(encodeCursor('acme'))).toBe('acme');
    expect(decodeCursor('%%%')).toBeNull();
    // Valid base64url of keys no list makes: NULs (a database error, not a page) and a line break.
    expect(decodeCursor(encodeCursor('\0\0\0'))).toBeNull();
    expect(decodeCursor(encodeCursor('a\nb'))).toBeNull();
  });

  it('decode a keyset cursor only with a value its list can compare: text without control characters, or a real PostgreSQL time', () => {
    const id = '87fd9411-a23e-47ec-91d1-021e66916afa';
    const key = (value: string) => encodeCursor(JSON.stringify({ value, id }));
    expect(decodeSortKey(key('llama'))).toEqual({ value: 'llama', id });
    expect(decodeSortKey(key('llama\u0000'))).toBeNull();
    expect(decodeSortKey(key('2026-12-05 04:15:35.53+00'), { time: true })).toEqual({ value: '2026-12-05 04:15:35.53+00', id });
    for (const other of ['1970-01-01 00:00:00+00', '2026-12-05 10:45:35.123456+05:30', '1890-01-01 00:00:00+00:53:28', '2026-12-05 01:15:35-03']) expect(decodeSortKey(key(other), { time: true }), other).not.toBeNull();
    for (const bad of ['notadate', '2026-02-31 00:00:00+00', '2026-12-05 24:00:00+00', '2026-12-05T04:15:35Z', '1']) expect(decodeSortKey(key(bad), { time: true }), bad).toBeNull();
    expect(decodeSortKey(encodeCursor(JSON.stringify({ value: 'x', id: 'nope' })))).toBeNull();
  });

  it('escape LIKE wildcards', () => {
    expect(escapeLike('a_b%c\\')).toBe('a\\_b\\%c\\\\');
  });
});
