import { z } from 'zod';
import { robotFullName } from './robots';
import { singleLine } from './text';

/**
 * Harbor's and the seed's naming rule for tenants, projects and models: lowercase letters,
 * digits, `.`, `_`, `-`, starting with a letter or digit, 1–255 characters.
 */
export const RESOURCE_NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,254}$/;

export const resourceName = z
  .string()
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .regex(/^[a-z0-9]/, 'must start with a lowercase letter or digit')
  .regex(/^[a-z0-9._-]*$/, 'may contain only lowercase letters, digits, ".", "_" and "-"')
  .check(singleLine)
  // Two regexes give two messages, but a document holds one `pattern`: the whole rule.
  .meta({ pattern: RESOURCE_NAME_PATTERN.source });

/** A model reference as users paste it: `[registry/]project/model[:tag|@sha256:…]`. */
export interface FullName {
  registry?: string;
  project: string;
  model: string;
  tag?: string;
  digest?: string;
}

const SEGMENT = /^[a-z0-9][a-z0-9._-]*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

/** What parseFullName accepts, as one pattern for the API's schema (and so its document). */
export const FULL_NAME_PATTERN =
  /^(?:(?:https?|oci):\/\/)?(?:[A-Za-z0-9.-]+(?::\d{1,5})?\/)?[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*(?::[A-Za-z0-9_][A-Za-z0-9._-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * Parses a full model name. The registry is the first of three path segments (a host, maybe with
 * a port); with two, the default registry is meant. Null when it is not a model reference.
 */
export function parseFullName(text: string): FullName | null {
  let rest = text.trim().replace(/^(https?|oci):\/\//, '');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return null;
  }
  const parts = rest.split('/');
  if (parts.length < 2 || parts.length > 3) return null;
  let last = parts[parts.length - 1]!;
  let tag: string | undefined;
  const colon = last.lastIndexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    last = last.slice(0, colon);
    if (!TAG.test(tag)) return null;
  }
  const registry = parts.length === 3 ? parts[0]! : undefined;
  const project = parts[parts.length - 2]!;
  if (registry !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?$/.test(registry)) return null;
  if (!SEGMENT.test(project) || !SEGMENT.test(last)) return null;
  return { ...(registry ? { registry } : {}), project, model: last, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) };
}

/**
 * Harbor's rule for robot and project names (`validateName` in src/server/v2.0/handler/robot.go; the
 * project check the emulator's PROJECT_NAME keeps): lowercase letters and digits in runs joined by
 * single `.`, `_` or `-` — no leading, trailing or doubled separator, and no `+`, which Harbor puts
 * between project and robot. Harbor stores a project robot as `<project>+<name>` and shows it as
 * `robot$<project>+<name>`: at most 255 characters.
 */
export const HARBOR_NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
export const ROBOT_FULL_NAME_MAX = 255;

/** A name by Harbor's rule, on one line, 1–`max` characters; `whose` says which rule in the message. */
const harborName = (max: number, maxMessage: string, whose?: string) =>
  z
    .string()
    .min(1, 'must not be empty')
    .max(max, maxMessage)
    .regex(HARBOR_NAME_PATTERN, `must be lowercase letters and digits joined by single ".", "_" or "-"${whose ? ` (${whose})` : ''}`)
    .check(singleLine);

/**
 * A Harbor project's name: stricter than the resource rule, as Harbor refuses `acme.` and `a--b`, which
 * an onboarding would otherwise only learn at its Harbor step (a 502 after compensation).
 */
export const projectName = harborName(255, 'must be at most 255 characters', "Harbor's project name rule");

const ROBOT_NAME_MAX = ROBOT_FULL_NAME_MAX - 'robot$x+'.length;

export const robotName = harborName(ROBOT_NAME_MAX, `must be at most ${ROBOT_NAME_MAX} characters (robot$<project>+<name> at most ${ROBOT_FULL_NAME_MAX})`, "Harbor's robot name rule");

/** A pull token's name: the robot name rule (a CI system's credential, named like one), up to 255 characters. */
export const pullTokenName = harborName(255, 'must be at most 255 characters');

/** Why `robot$<project>+<name>` is too long for Harbor, or null when it fits. */
export function robotFullNameTooLong(project: string, name: string): string | null {
  const length = robotFullName(project, name).length;
  return length > ROBOT_FULL_NAME_MAX ? `robot$${project}+<name> must be at most ${ROBOT_FULL_NAME_MAX} characters; with this name it has ${length}` : null;
}

/** A robot's lifetime as Harbor takes it: -1 never expires, else whole days (this service allows up to ten years). */
const DURATION_MESSAGE = 'must be -1 (never expires) or an integer 1–3650';
// A union, so that the document says what is accepted (a refine excluding 0 would not show).
export const robotDurationDays = z.union([z.literal(-1, DURATION_MESSAGE), z.number().int(DURATION_MESSAGE).min(1, DURATION_MESSAGE).max(3650, DURATION_MESSAGE)], { error: DURATION_MESSAGE });
