import { describe, expect, it } from 'vitest';
import { createManifestMemo } from '../../registry-proxy/manifest-memo';

describe('the cached manifests kept in memory', () => {
  it('drops the least recently used first once over its byte budget, and never keeps one bigger than it', () => {
    const memo = createManifestMemo(10);
    memo.set('a', Buffer.alloc(4, 'a'));
    memo.set('b', Buffer.alloc(4, 'b'));
    expect(memo.get('a')?.toString()).toBe('aaaa'); // a is now more recent than b
    memo.set('c', Buffer.alloc(4, 'c')); // 12 bytes: b goes
    expect(memo.get('b')).toBeUndefined();
    expect(memo.get('a')?.toString()).toBe('aaaa');
    expect(memo.get('c')?.toString()).toBe('cccc');
    memo.set('huge', Buffer.alloc(11));
    expect(memo.get('huge')).toBeUndefined();
    expect(memo.get('a')).toBeDefined();
  });
});
