import { describe, expect, it } from 'vitest';
import { parseFullName, resourceName } from '../../lib/names';

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

describe('full model names', () => {
  it('parses what users paste', () => {
    expect(parseFullName('harbor.example.com/my-project/llama:1.2.0')).toEqual({ registry: 'harbor.example.com', project: 'my-project', model: 'llama', tag: '1.2.0' });
    expect(parseFullName('127.0.0.1:8090/p/m')).toEqual({ registry: '127.0.0.1:8090', project: 'p', model: 'm' });
    expect(parseFullName('p/m:latest')).toEqual({ project: 'p', model: 'm', tag: 'latest' });
    expect(parseFullName(`oci://h.example/p/m@sha256:${'a'.repeat(64)}`)).toEqual({ registry: 'h.example', project: 'p', model: 'm', digest: `sha256:${'a'.repeat(64)}` });
  });
  it('refuses what is not a model reference', () => {
    for (const bad of ['m', 'a/b/c/d', 'P/m', 'p/m:', 'p/m@sha256:xyz', 'h/p/m:bad tag', 'bad host!/p/m']) expect(parseFullName(bad), bad).toBeNull();
  });
});
