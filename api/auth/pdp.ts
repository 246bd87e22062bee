import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { z } from 'zod';
import { ACTIONS, type Action, type Resource } from './actions';
import type { Principal } from './principal';

export interface DecisionInput {
  subject: Pick<Principal, 'subject' | 'username' | 'roles' | 'tenantRoles' | 'groups'>;
  action: Action;
  resource: Resource;
}

/** A policy decision point: embedded rules or a remote service. Errors must be treated as deny. */
export interface PolicyDecisionPoint {
  decide(input: DecisionInput): Promise<boolean>;
}

const glob = z.string().min(1);
const RuleSchema = z
  .object({
    description: z.string().optional(),
    roles: z.array(z.string().min(1)).min(1),
    actions: z.array(z.union([z.enum(ACTIONS), z.literal('*'), z.string().regex(/^[a-z]+\.\*$/)])).min(1),
    tenants: z.array(glob).optional(),
    access: z.array(z.enum(['public', 'private'])).optional(),
    models: z.array(glob).optional(),
    versions: z.array(glob).optional(),
  })
  .strict();
const PolicySchema = z.object({ service: z.string(), rules: z.array(RuleSchema).min(1) }).strict();
export type Policy = z.infer<typeof PolicySchema>;
type Rule = Policy['rules'][number];

export const DEFAULT_POLICY_FILE = fileURLToPath(new URL('../../policy/pbac.yaml', import.meta.url));

export function loadPolicy(file = DEFAULT_POLICY_FILE): Policy {
  const parsed = PolicySchema.safeParse(parse(readFileSync(file, 'utf8')));
  if (!parsed.success) throw new Error(`invalid policy ${file}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** `*` matches any run of characters: `0.1.*`, `llama-*`, `*`. */
export function globMatch(pattern: string, value: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(value);
}

const constrained = (patterns: string[] | undefined, value: string | undefined) =>
  patterns === undefined || value === undefined || patterns.some((p) => globMatch(p, value));

function ruleAllows(rule: Rule, input: DecisionInput): boolean {
  const { subject, action, resource } = input;
  const held = new Set([...subject.roles, ...(resource.tenant ? (subject.tenantRoles[resource.tenant] ?? []) : [])]);
  if (!rule.roles.some((r) => held.has(r))) return false;
  if (!rule.actions.some((a) => a === '*' || a === action || (a.endsWith('.*') && action.startsWith(a.slice(0, -1))))) return false;
  // A rule limited to some tenants never grants a tenant-less (global) request.
  if (rule.tenants && (resource.tenant === undefined || !rule.tenants.some((t) => globMatch(t, resource.tenant!)))) return false;
  if (rule.access && resource.accessType !== undefined && !rule.access.includes(resource.accessType)) return false;
  return constrained(rule.models, resource.model) && constrained(rule.versions, resource.version);
}

/** The default PDP: the rules of a YAML file in the repository (policy/pbac.yaml), any rule allowing wins. */
export function createEmbeddedPdp(policy: Policy = loadPolicy()): PolicyDecisionPoint {
  return { decide: (input) => Promise.resolve(policy.rules.some((rule) => ruleAllows(rule, input))) };
}
