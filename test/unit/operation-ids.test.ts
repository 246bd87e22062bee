import { describe, expect, it } from 'vitest';
import { decodeOperationId, encodeOperationId } from '../../api/operations';
import { decodeCursor, encodeCursor } from '../../api/pagination';
import { escapeLike } from '../../db/queries/page';

describe('operation ids', () => {
  it('round-trip a business-key workflow id and run id', () => {
    const id = encodeOperationId('project:harbor.local/acme', '0195f5c2-run');
    expect(id).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeOperationId(id)).toEqual({ workflowId: 'project:harbor.local/acme', runId: '0195f5c2-run' });
  });

  it.each(['', 'not base64!', Buffer.from('no-run-id').toString('base64url'), Buffer.from('a\nb\nc').toString('base64url')])(
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

  it('escape LIKE wildcards', () => {
    expect(escapeLike('a_b%c\\')).toBe('a\\_b\\%c\\\\');
  });
});
