import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { parseFullName, resourceName, robotDurationDays, robotFullNameTooLong, robotName } from '../../lib/names';

/** The schema refuses the value, and one of its messages says `message`. */
function expectRejected(schema: z.ZodType, value: unknown, message: string) {
  const result = schema.safeParse(value);
  expect(result.success).toBe(false);
  expect(result.error!.issues.map((i) => i.message).join(' ')).toContain(message);
}

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
  ])('rejects %j', (name, message) => expectRejected(resourceName, name, message));
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

describe('robot names (Harbor: ^[a-z0-9]+(?:[._-][a-z0-9]+)*$, robot$<project>+<name> ≤ 255)', () => {
  it.each(['ci', 'a', '0', 'ci-push', 'ci.push_2', 'a-b.c_d', 'x'.repeat(247)])('accepts %s', (name) => {
    expect(robotName.safeParse(name).success).toBe(true);
  });

  it.each([
    ['', 'must not be empty'],
    ['x'.repeat(248), 'at most 247'],
    ['CI', "Harbor's robot name rule"],
    ['-ci', "Harbor's robot name rule"],
    ['ci-', "Harbor's robot name rule"],
    ['ci..push', "Harbor's robot name rule"],
    ['ci_-push', "Harbor's robot name rule"],
    ['ci+push', "Harbor's robot name rule"],
    ['robot$ci', "Harbor's robot name rule"],
    ['ci push', "Harbor's robot name rule"],
  ])('rejects %j', (name, message) => expectRejected(robotName, name, message));

  it('counts the robot$<project>+ prefix against the 255 characters', () => {
    const project = 'p'.repeat(200);
    expect(robotFullNameTooLong(project, 'x'.repeat(255 - 'robot$+'.length - 200))).toBeNull();
    expect(robotFullNameTooLong(project, 'x'.repeat(256 - 'robot$+'.length - 200))).toMatch(/at most 255 characters; with this name it has 256/);
    expect(robotFullNameTooLong('p', 'x'.repeat(247))).toBeNull();
  });
});

describe('robot durations', () => {
  it.each([-1, 1, 30, 3650])('accepts %d', (days) => {
    expect(robotDurationDays.safeParse(days).success).toBe(true);
  });
  it.each([0, -2, 3651, 1.5, Number.NaN, '30'])('rejects %j', (days) => {
    const result = robotDurationDays.safeParse(days);
    expect(result.success).toBe(false);
  });
  it('names the rule', () => {
    expect(robotDurationDays.safeParse(0).error!.issues[0]!.message).toBe('must be -1 (never expires) or an integer 1–3650');
    expect(robotDurationDays.safeParse(9999).error!.issues[0]!.message).toBe('must be -1 (never expires) or an integer 1–3650');
  });
});
