import { patched, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { MemberSpec } from '../activities/harbor/members';
import type { ProjectRecord, ProjectSettings } from '../db/queries/projects';
import type { ReplicationRuleSpec } from '../lib/replication';
import { conflict, failedPrecondition, FailureType, isFailure, notFound, translateFailure } from '../lib/failure-types';
import { profiles } from './activity-options';
import type { Actor } from './actor';
import { recordHarborSummary } from './harbor-summary';
import { onCataloguedProject, requireProject, requireTenant } from './lookups';
import { announceReplicationRule, createPolicyStep, policySpecOf, requireVisibleRemoteRegistry, syncScheduleStep } from './replications';
import { followTenantCleanupPolicy } from './cleanup';
import { Saga } from './saga';

const harbor = proxyActivities<Activities>(profiles.harbor);
const harborBulk = proxyActivities<Activities>(profiles.harborBulk);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);
const undo = proxyActivities<Activities>(profiles.compensation);
const temporal = proxyActivities<Activities>(profiles.temporal);

export interface ProjectOnboardingInput {
  registry: string;
  name: string;
  displayName: string;
  description: string | null;
  public: boolean;
  tenantId: string;
  storageLimit: number | null;
  settings: ProjectSettings;
  members: MemberSpec[];
  robot: { name: string; durationDays: number } | null;
  /** Replication rules created with the project (after its webhook policy); absent or empty: none. */
  replications?: ReplicationRuleSpec[];
  /** Who asked: the audit rows of the rules. */
  actor?: Actor;
}

export interface ProjectOnboardingResult {
  project: ProjectRecord;
  /** The robot's secret sealed (lib/secrets): the API reveals it once, the history never holds it clear. */
  robot: { name: string; sealedSecret: string; expiresAt: number } | null;
}

/** The catalogue row of an onboarded or registered project; the webhook secret stays sealed. */
function catalogueRow(input: ProjectRegistrationInput, harborId: number, webhook: { policyId: number; sealedSecret: string }) {
  return {
    name: input.name,
    registry: input.registry,
    displayName: input.displayName,
    description: input.description,
    public: input.public,
    tenantId: input.tenantId,
    harborId,
    storageLimit: input.storageLimit,
    settings: input.settings,
    webhookPolicyId: webhook.policyId,
    webhookSecret: webhook.sealedSecret,
  };
}

function projectEvent(type: string, project: ProjectRecord) {
  return {
    id: uuid4(),
    type,
    subject: `projects/${project.registry}/${project.name}`,
    time: new Date().toISOString(),
    data: { ...project },
  };
}

/**
 * Onboards a team's project (runbook "Create a New Project"): Harbor project with quota and
 * security settings, OIDC group members, the webhook policy feeding the catalogue, an optional
 * robot, the catalogue row, and one `modelregistry.project.created` event. A step that fails for
 * good undoes the ones before it.
 */
export async function projectOnboardingWorkflow(input: ProjectOnboardingInput): Promise<ProjectOnboardingResult> {
  const { registry, name } = input;
  await requireTenant(input.tenantId);
  if ((await db.findProject(registry, name)) || (await harbor.harborProjectExists(registry, name))) {
    throw conflict(`project "${name}" already exists in ${registry}`);
  }

  // Only with rules: histories of onboardings without them replay unchanged.
  const rules = input.replications ?? [];
  const remotes = rules.length > 0 ? await Promise.all(rules.map((r, i) => requireVisibleRemoteRegistry(input, r.remoteRegistry, `body.replications.${i}.registry`))) : [];

  const saga = new Saga();
  try {
    // Undone only if Harbor created it since this step began: never someone else's project of the name.
    const since = Date.now();
    const harborId = await saga.step(
      'create-harbor-project',
      () => harbor.createHarborProject({ registry, name, public: input.public, storageLimit: input.storageLimit, settings: input.settings }),
      () => undo.deleteHarborProject(registry, name, since),
      // A Conflict met someone else's project of that name (createHarborProject): never undone.
      { didNothing: (err) => isFailure(err, FailureType.Conflict) },
    );
    await saga.step(
      'add-members',
      () => harbor.syncHarborMembers(registry, name, input.members),
      () => undo.removeHarborMembers(registry, name, input.members.map((m) => m.group)),
    );
    const webhook = await saga.step(
      'create-webhook-policy',
      () => harbor.ensureWebhookPolicy(registry, name),
      () => undo.deleteWebhookPolicy(registry, name),
    );
    const policyIds: number[] = [];
    for (const [i, rule] of rules.entries()) {
      policyIds.push(await createPolicyStep(saga, `create-replication-policy:${rule.name}`, policySpecOf(rule, remotes[i]!.harborRegistryId)));
    }
    const robotSpec = input.robot;
    const robot = robotSpec
      ? await saga.step(
          'create-robot',
          () => harbor.createProjectRobot(registry, name, robotSpec.name, robotSpec.durationDays),
          () => undo.deleteProjectRobot(registry, name, robotSpec.name),
        )
      : null;
    const project = await saga.step(
      'write-catalogue',
      () =>
        db.upsertProject(catalogueRow(input, harborId, webhook)),
      () => undo.deleteProjectRow(registry, name),
    );
    if (robot) {
      await saga.step('save-robot', () =>
        db.saveRobotAccount({ projectId: project.id, harborRobotId: robot.robotId, name: robot.name, sealedSecret: robot.sealedSecret, expiresAt: robot.expiresAt > 0 ? new Date(robot.expiresAt * 1000).toISOString() : null }),
      );
    }
    const saved = rules.length > 0
      ? await saga.step('save-replication-rules', () =>
          Promise.all(rules.map((rule, i) => db.saveReplicationRule(rule, { projectId: project.id, remoteRegistryId: remotes[i]!.id, harborPolicyId: policyIds[i]! }))),
        )
      : [];
    for (const rule of saved) await syncScheduleStep(saga, rule);
    // Onboardings before it made no cleanup Schedule for a tenant's default policy (the tenant's next PUT did).
    if (patched('new-projects-follow-tenant-cleanup')) {
      await saga.step('follow-tenant-cleanup-policy', () => followTenantCleanupPolicy(registry, name), () => undo.deleteCleanupSchedule(registry, name));
    }
    await saga.step('publish-event', () => events.publishEvent(projectEvent('modelregistry.project.created', project)));
    // Its robot is announced as one the robots API makes is (runs from before this patch did not).
    if (robot && robotSpec && patched('onboarding-announces-robot')) {
      await events.publishEvent({
        id: uuid4(),
        type: 'modelregistry.robot.created',
        subject: `projects/${registry}/${name}/robots/${robotSpec.name}`,
        time: new Date().toISOString(),
        // `permissions: null` as its row lists it: its Harbor accesses match no list of the API's names.
        data: { registry, project: name, robot: robot.name, permissions: null, expiresAt: robot.expiresAt > 0 ? new Date(robot.expiresAt * 1000).toISOString() : null, onboarding: true },
      });
    }
    for (const rule of saved) await announceReplicationRule('created', input.actor, rule, { onboarding: true });
    await recordHarborSummary(registry, name);
    return { project, robot: robot ? { name: robot.name, sealedSecret: robot.sealedSecret, expiresAt: robot.expiresAt } : null };
  } catch (err) {
    return saga.fail(err);
  }
}

export interface ProjectUpdateInput {
  registry: string;
  name: string;
  displayName?: string;
  description?: string | null;
  public?: boolean;
  storageLimit?: number | null;
  settings?: Partial<ProjectSettings>;
  /** When given, Harbor's OIDC group members are made exactly these. */
  members?: MemberSpec[];
}

/** Applies a change to Harbor and the catalogue (PATCH /projects/{name}), and publishes `project.updated`. */
export async function projectUpdateWorkflow(input: ProjectUpdateInput): Promise<ProjectRecord> {
  const { registry, name } = input;
  const current = await requireProject(registry, name);
  const settings: ProjectSettings = { ...(current.settings ?? { autoScan: false, contentTrustCosign: false, preventVulnerable: false, severity: 'none' }), ...input.settings };
  const isPublic = input.public ?? current.public;
  if (input.public !== undefined || input.settings !== undefined || input.storageLimit !== undefined) {
    const spec = { registry, name, public: isPublic, storageLimit: input.storageLimit === undefined ? null : input.storageLimit ?? -1, settings };
    await onCataloguedProject(harbor.configureHarborProject(spec), registry, name);
  }
  if (input.members) await onCataloguedProject(harbor.syncHarborMembers(registry, name, input.members, true), registry, name);
  const project = await db.updateProjectRow(registry, name, {
    displayName: input.displayName,
    description: input.description,
    public: input.public,
    storageLimit: input.storageLimit,
    settings: input.settings === undefined ? undefined : settings,
  });
  if (!project) throw notFound(`project "${name}" was archived meanwhile`);
  await events.publishEvent(projectEvent('modelregistry.project.updated', project));
  return project;
}

export interface ProjectDeleteInput {
  registry: string;
  name: string;
  /** Also delete the project in Harbor. */
  purge: boolean;
  /** Purge even when Harbor still holds artifacts (they are deleted). */
  force: boolean;
  /** Recorded in the audit row: `actor` is the username, `details.actorSubject` the subject. */
  actor: Actor;
}

/** Deletes the project in Harbor, its repositories too with `force`; the repositories deleted. */
async function purgeInHarbor({ registry, name, force }: ProjectDeleteInput): Promise<number> {
  try {
    if (!(await harbor.harborProjectExists(registry, name))) return 0;
    const artifacts = await harborBulk.harborArtifactCount(registry, name);
    if (artifacts > 0 && !force) {
      throw failedPrecondition(`project "${name}" still holds ${artifacts} artifacts in Harbor; purge with force=true to delete them`);
    }
    const deleted = artifacts > 0 ? await harborBulk.deleteHarborRepositories(registry, name) : 0;
    await harbor.deleteHarborProject(registry, name);
    return deleted;
  } catch (err) {
    // Deleted in Harbor meanwhile (by someone else, or a concurrent purge): what purging wants.
    if (isFailure(err, FailureType.HarborNotFound)) return 0;
    throw err;
  }
}

/**
 * Archives the project in the catalogue (soft delete); with `purge` deletes it in Harbor too,
 * refused while it holds artifacts unless `force`. Its Schedules (pull rules' syncs, cleanup) are
 * deleted first. Audited, and published as
 * `project.archived` or `project.purged`.
 */
export async function projectDeleteWorkflow(input: ProjectDeleteInput): Promise<ProjectRecord> {
  const { registry, name } = input;
  await requireProject(registry, name);
  const deletedRepositories = input.purge ? await purgeInHarbor(input) : 0;
  // Nothing runs on schedule for a project that is gone: its rules' syncs and its cleanup.
  for (const rule of await db.liveReplicationRulesOfProject(registry, name)) await temporal.deleteRuleSyncSchedule(rule.id);
  await temporal.deleteCleanupSchedule(registry, name);
  const project = await db.archiveProject(registry, name);
  if (!project) throw notFound(`project "${name}" was archived meanwhile`);
  const action = input.purge ? 'project.purged' : 'project.archived';
  const event = projectEvent(`modelregistry.${action}`, project);
  await db.recordAudit({
    eventKey: event.id,
    actor: input.actor.username,
    action,
    resource: `projects/${registry}/${name}`,
    details: { purge: input.purge, force: input.force, deletedRepositories, actorSubject: input.actor.subject },
  });
  await events.publishEvent(event);
  return project;
}

export type ProjectRegistrationInput = Omit<ProjectOnboardingInput, 'robot' | 'replications' | 'actor'>;

export interface ProjectRegistrationResult {
  project: ProjectRecord;
  imported: { models: number; images: number; tags: number };
}

/**
 * Takes an existing Harbor project under management (runbook: PUT /projects): resets its
 * settings, members and webhook policy to ours, writes the catalogue row, and imports its
 * repositories and artifacts. Each step converges, so running it again only re-applies.
 */
export async function projectRegistrationWorkflow(input: ProjectRegistrationInput): Promise<ProjectRegistrationResult> {
  const { registry, name } = input;
  await requireTenant(input.tenantId);
  // Registering a project another tenant registered would hand its models, members and webhook to the
  // caller's tenant (a tenant admin may register into their own): refused before Harbor is touched.
  // Archived too: archiving leaves the Harbor project, and its artifacts, in place.
  if (patched('registration-keeps-tenant')) {
    const owner = await db.projectTenantOfRecord(registry, name);
    if (owner !== null && owner !== input.tenantId) throw conflict(`project "${name}" is registered in another tenant; registration does not move a project between tenants`);
  }
  const missing = () => notFound(`Harbor ${registry} has no project "${name}" to register`);
  // The caller named a Harbor project: Harbor's 404 at any step (deleted meanwhile) is the caller's NotFound.
  const inHarbor = <T>(step: Promise<T>) => translateFailure(step, FailureType.HarborNotFound, missing);
  if (!(await harbor.harborProjectExists(registry, name))) throw missing();
  const spec = { registry, name, public: input.public, storageLimit: input.storageLimit, settings: input.settings };
  const harborId = await inHarbor(harbor.configureHarborProject(spec));
  await inHarbor(harbor.syncHarborMembers(registry, name, input.members, true));
  const webhook = await inHarbor(harbor.ensureWebhookPolicy(registry, name));
  const project = await db.upsertProject(catalogueRow(input, harborId, webhook));
  if (patched('new-projects-follow-tenant-cleanup')) await followTenantCleanupPolicy(registry, name);
  // Registered again after an archive: the robots it kept in Harbor are its own again, not unreachable.
  if (patched('registration-adopts-robots')) {
    const harborRobotIds = await inHarbor(harbor.listHarborProjectRobotIds(registry, name));
    await db.adoptRobotsOfArchivedProject({ registry, name, projectId: project.id, harborRobotIds });
  }
  const repositories = await inHarbor(harborBulk.listHarborRepositories(registry, name));
  const imported = await db.importHarborRepositories({ projectId: project.id, registry, repositories });
  await events.publishEvent(projectEvent('modelregistry.project.registered', project));
  await recordHarborSummary(registry, name);
  return { project, imported };
}
