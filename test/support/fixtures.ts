import { expect } from 'vitest';
import { ruleSyncScheduleId } from '../../lib/workflow-ids';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveReplicationRule } from '../../db/queries/replications';
import { jsonRequest, readJson, type Json } from './http';
import { startTestStack, uniqueName, type TestStack } from './stack';

export interface TenantFields {
  name: string;
  companyName: string;
  url: string;
}

/** A fresh tenant through the API (its 201 asserted); its name. */
export async function createTenant(stack: TestStack, overrides: Partial<TenantFields> = {}): Promise<string> {
  const tenant = { name: uniqueName('tenant'), companyName: 'Acme', url: 'https://acme.example', ...overrides };
  const res = await stack.app.request('/api/v1/tenants', jsonRequest(tenant));
  expect(res.status, `tenant ${tenant.name}: ${await res.clone().text()}`).toBe(201);
  return tenant.name;
}

export interface OnboardedProject {
  project: string;
  /** The project's catalogue id. */
  projectId: string;
  /** The onboarding's answer (the project, and the robot when one was asked for). */
  body: Json;
}

/**
 * A project onboarded into `tenant` through the API, waited for to the end (its 201 asserted);
 * `overrides` go into the request body (`name`, `members`, `robot`, …).
 */
export async function onboardProject(stack: TestStack, tenant: string, overrides: Record<string, unknown> = {}): Promise<OnboardedProject> {
  const name = (overrides.name as string | undefined) ?? uniqueName('project');
  const res = await stack.app.request('/api/v1/projects', jsonRequest({ name, display_name: name, tenantId: tenant, ...overrides }));
  expect(res.status, `project ${name}: ${await res.clone().text()}`).toBe(201);
  const body = await readJson(res);
  const [row] = await stack.database.sql<{ id: string }[]>`select id from modelregistry.projects where name = ${name}`;
  return { project: name, projectId: row!.id, body };
}

/** A stack and a fresh tenant in it, the set-up most test files share. */
export async function startStackWithTenant(opts: Parameters<typeof startTestStack>[0] = {}): Promise<{ stack: TestStack; tenant: string }> {
  const stack = await startTestStack(opts);
  return { stack, tenant: await createTenant(stack) };
}

/** A stack, a fresh tenant and a project onboarded into it (named `prefix-…`). */
export async function startStackWithProject(prefix: string, opts: Parameters<typeof startTestStack>[0] = {}): Promise<{ stack: TestStack; tenant: string } & OnboardedProject> {
  const { stack, tenant } = await startStackWithTenant(opts);
  return { stack, tenant, ...(await onboardProject(stack, tenant, { name: uniqueName(prefix) })) };
}

/**
 * Pauses a pull rule's sync Schedule: its hourly run (intervals are aligned to the epoch, so at the
 * top of each hour) would race the syncs and locations a test checks by hand.
 */
export async function pauseRuleSyncSchedule(stack: TestStack, project: string, rule: string): Promise<void> {
  const found = await findLiveProject(stack.database.db, stack.registry, project);
  const record = found && (await findLiveReplicationRule(stack.database.db, found.id, rule));
  if (!record) throw new Error(`no pull rule "${rule}" of project "${project}"`);
  await stack.client.schedule.getHandle(ruleSyncScheduleId(record.id)).pause('the test syncs by hand');
}
