import { describe, expect, it } from 'vitest';
import { nulPath } from '../../lib/text';

describe('nulPath', () => {
  it('names the first string or key holding a NUL', () => {
    expect(nulPath({ a: [{ b: 'x' }, { c: 'y\u0000' }] })).toBe('a.1.c');
    expect(nulPath({ ok: 'fine', ['k\u0000']: 1 })).toBe('k\u0000');
    expect(nulPath('\u0000')).toBe('');
  });
  it('is undefined without one, whatever else the value holds', () => {
    expect(nulPath({ a: ['\t\n', 1, null, true, { b: '\\u0000' }] })).toBeUndefined();
  });
});
