import { describe, expect, it } from 'vitest';
import { doublestarMatch } from '../harbor-emulator/doublestar';

// Cases from github.com/bmatcuk/doublestar's README and Harbor's replication filter docs.
describe("the emulator's doublestar matcher", () => {
  it.each([
    ['proj/**', 'proj/llama', true],
    ['proj/**', 'proj/a/b/c', true],
    ['proj/**', 'proj', true],
    ['proj/**', 'other/llama', false],
    ['proj/*', 'proj/a/b', false],
    ['proj/llama-*', 'proj/llama-ft', true],
    ['proj/llama-*', 'proj/bert', false],
    ['**/llama', 'a/b/llama', true],
    ['**/llama', 'llama', true],
    ['a/**/z', 'a/z', true],
    ['a/**/z', 'a/b/c/z', true],
    ['0.1.*', '0.1.7', true],
    ['0.1.*', '0.10.1', false],
    ['latest', 'latest', true],
    ['latest', 'latest2', false],
    ['{1.0.0,1.1.0}', '1.1.0', true],
    ['{1.0.0,1.1.0}', '1.2.0', false],
    ['v{1,2.{0,1}}', 'v2.1', true],
    ['v?', 'v1', true],
    ['v?', 'v10', false],
    ['[a-c]x', 'bx', true],
    ['[!a-c]x', 'dx', true],
    ['[!a-c]x', 'ax', false],
    ['a\\*', 'a*', true],
    ['a\\*', 'ab', false],
    ['**', '', true],
    ['*', '', true],
    ['1.*', '', false],
  ])('%s against %s: %s', (pattern, name, expected) => {
    expect(doublestarMatch(pattern, name)).toBe(expected);
  });
});
