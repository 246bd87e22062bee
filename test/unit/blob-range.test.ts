import { describe, expect, it } from 'vitest';
import { parseRange } from '../../registry-proxy/blobs';

describe('a blob pull’s Range header (RFC 9110 §14.2)', () => {
  it.each<[string | undefined, ReturnType<typeof parseRange>]>([
    ['bytes=0-99', { start: 0, end: 99 }],
    ['bytes=900-', { start: 900, end: 999 }],
    ['bytes=-10', { start: 990, end: 999 }],
    ['bytes=990-5000', { start: 990, end: 999 }],
    ['BYTES=1-2', { start: 1, end: 2 }],
    ['bytes=-5000', { start: 0, end: 999 }],
    // Unsatisfiable: 416.
    ['bytes=1000-', 'unsatisfiable'],
    ['bytes=-0', 'unsatisfiable'],
    ['bytes=1000-1001, 2000-', 'unsatisfiable'],
    // Ignored, so the whole blob: no header, a unit this server does not know, a malformed set, several ranges.
    [undefined, undefined],
    ['items=0-1', undefined],
    ['bytes=5-1', undefined],
    ['bytes=a-b', undefined],
    ['bytes=-', undefined],
    ['bytes=0-1,3-4', undefined],
    ['bytes=0-1, 5000-', undefined],
  ])('%s', (header, expected) => {
    expect(parseRange(header, 1000)).toEqual(expected);
  });

  it('serves a suffix of an empty blob whole (RFC 9110 §14.1.3), and refuses a first byte of it', () => {
    expect(parseRange('bytes=-5', 0)).toBeUndefined();
    expect(parseRange('bytes=0-', 0)).toBe('unsatisfiable');
  });
});
