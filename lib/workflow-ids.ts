/** Workflow ids are business keys: a second request for the same resource meets the first run. */
export const tenantWorkflowId = (name: string) => `tenant:${name}`;
export const projectWorkflowId = (registry: string, name: string) => `project:${registry}/${name}`;
export const repositoryWorkflowId = (registry: string, project: string, repository: string) => `repository:${registry}/${project}/${repository}`;
export const refreshWorkflowId = (registry: string, project: string, model?: string) => `refresh:${registry}/${project}${model ? `/${model}` : ''}`;
export const membershipWorkflowId = (registry: string, project: string) => `membership:${registry}/${project}`;
export const robotWorkflowId = (registry: string, project: string, robot: string) => `robot:${registry}/${project}/${robot}`;
export const modelUpdateWorkflowId = (registry: string, project: string, model: string) => `model:${registry}/${project}/${model}`;
export const checkpointWorkflowId = (registry: string, project: string, model: string, tag: string, name: string) => `checkpoint:${registry}/${project}/${model}:${tag}/${name}`;
export const harborProjectEventWorkflowId = (inboxId: string) => `harbor-event:${inboxId}`;
/** Usernames are realm-wide in Keycloak: one key per username, whichever tenant asks. */
export const userWorkflowId = (username: string) => `user:${username}`;
export const remoteRegistryWorkflowId = (registry: string, name: string) => `remote-registry:${registry}/${name}`;
export const remoteRegistryPingWorkflowId = (registry: string, name: string) => `remote-registry-ping:${registry}/${name}`;
export const replicationRuleWorkflowId = (registry: string, project: string, rule: string) => `replication-rule:${registry}/${project}/${rule}`;
export const replicationRunWorkflowId = (registry: string, project: string, rule: string) => `replication-run:${registry}/${project}/${rule}`;
/** The follower of one Harbor execution, whoever started it (a run, a trigger in Harbor, a promotion). */
export const replicationExecutionWorkflowId = (registry: string, harborExecutionId: number) => `replication-execution:${registry}/${harborExecutionId}`;
export const approvalWorkflowId = (registry: string, project: string, model: string, tag: string) => `approval:${registry}/${project}/${model}:${tag}`;
export const promotionWorkflowId = (registry: string, project: string, model: string, tag: string, remote: string) => `promotion:${registry}/${project}/${model}:${tag}→${remote}`;
export const registrySyncWorkflowId = (registry: string, project: string, rule: string) => `sync:${registry}/${project}/${rule}`;
/** One Schedule per pull rule, keyed by the rule's id (a rule's name may be reused after a delete). */
export const ruleSyncScheduleId = (ruleId: string) => `registry-sync:${ruleId}`;
export const upstreamWorkflowId = (tenant: string, name: string) => `upstream:${tenant}/${name}`;
export const upstreamCheckWorkflowId = (tenant: string, name: string) => `upstream-check:${tenant}/${name}`;
export const pullTokenWorkflowId = (tenant: string, name: string) => `pull-token:${tenant}/${name}`;
export const virtualRegistryWorkflowId = (tenant: string, name: string) => `virtual-registry:${tenant}/${name}`;
/** One purge of a virtual registry's cache at a time. */
export const virtualRegistryCacheWorkflowId = (tenant: string, name: string) => `virtual-registry-cache:${tenant}/${name}`;
/** One warm of a version at a time: a second request for it joins the running one. */
export const virtualRegistryWarmWorkflowId = (tenant: string, registry: string, name: string, reference: string) => `virtual-registry-warm:${tenant}/${registry}/${name}@${reference}`;
export const cleanupPolicyWorkflowId = (registry: string, project: string) => `cleanup-policy:${registry}/${project}`;
export const cleanupTenantPolicyWorkflowId = (tenant: string) => `cleanup-policy:tenant/${tenant}`;
/** A project's cleanup Schedule; its runs are `cleanupRunWorkflowId(…, 'scheduled')` plus the Schedule's timestamp. */
export const cleanupScheduleId = (registry: string, project: string) => `cleanup:${registry}/${project}`;
export const cleanupRunWorkflowId = (registry: string, project: string, run: string) => `cleanup:${registry}/${project}/${run}`;
/** Read-only: each request its own run (an inline policy is part of the question). */
export const cleanupCandidatesWorkflowId = (registry: string, project: string, request: string) => `cleanup-candidates:${registry}/${project}/${request}`;
export const cleanupTenantCandidatesWorkflowId = (tenant: string, request: string) => `cleanup-candidates:tenant/${tenant}/${request}`;
export const storageReclaimWorkflowId = (registry: string) => `storage-reclaim:${registry}`;
