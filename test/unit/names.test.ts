import { describe, expect, it } from 'vitest';
import { resourceName } from '../../lib/names';

describe('resource names (seed and runbook rules)', () => {
  it.each(['a', 'my-first-project', 'my_tenant', 'v1.2', '0abc', 'a'.repeat(255)])('accepts %s', (name) => {
    expect(resourceName.safeParse(name).success).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    ['a'.repeat(256), 'at most 255'],
    ['-abc', 'must start'],
    ['.abc', 'must start'],
    ['MyProject', 'lowercase'],
    ['my project', 'may contain only'],
    ['proj/x', 'may contain only'],
  ])('rejects %j', (name, message) => {
    const result = resourceName.safeParse(name);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.message).join(' ')).toContain(message);
  });
});
