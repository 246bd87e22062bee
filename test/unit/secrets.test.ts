import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createSecretBox, parseKey } from '../../lib/secrets';

describe('secret box', () => {
  const box = createSecretBox(randomBytes(32));

  it('round-trips and never shows the plain text in the sealed form', () => {
    const sealed = box.seal('robot$secret-value');
    expect(sealed).not.toContain('robot$secret-value');
    expect(sealed.startsWith('v1:')).toBe(true);
    expect(box.open(sealed)).toBe('robot$secret-value');
    expect(box.seal('x')).not.toBe(box.seal('x'));
  });

  it('rejects a tampered or foreign value, and a value sealed under another key', () => {
    const sealed = box.seal('secret');
    const parts = sealed.split(':');
    parts[3] = Buffer.from('SECRET').toString('base64url');
    expect(() => box.open(parts.join(':'))).toThrow();
    expect(() => box.open('plain text')).toThrow(/not a sealed secret/);
    expect(() => createSecretBox(randomBytes(32)).open(sealed)).toThrow();
  });

  it('accepts only 32-byte keys', () => {
    expect(() => parseKey(randomBytes(16).toString('base64'))).toThrow(/32 bytes/);
    expect(parseKey(randomBytes(32).toString('base64'))).toHaveLength(32);
  });
});
