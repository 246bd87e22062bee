import type { Db } from '../../db/client';
import type { SecretBox } from '../../lib/secrets';
import { createApprovalActivities } from './approvals';
import { createAuditActivities } from './audit';
import { createCheckpointActivities } from './checkpoints';
import { createCleanupActivities } from './cleanup';
import { createInboxActivities } from './inbox';
import { createLocationActivities } from './locations';
import { createMembershipActivities } from './membership';
import { createModelMetadataActivities } from './model-metadata';
import { createProjectActivities } from './projects';
import { createPullTokenActivities } from './pull-tokens';
import { createRemoteRegistryActivities } from './registries';
import { createReplicationActivities } from './replications';
import { createRobotActivities } from './robots';
import { createTenantActivities } from './tenants';
import { createVirtualRegistryActivities } from './virtual-registries';

export type { TenantInput, TenantRecord } from '../../db/queries/tenants';
export type { ProjectRowInput } from './projects';
export type { ImportedRepository } from './catalogue-import';

export function createDbActivities(deps: { db: Db; secrets: SecretBox }) {
  return { ...createTenantActivities(deps), ...createProjectActivities(deps), ...createModelMetadataActivities(deps), ...createRobotActivities(deps), ...createCheckpointActivities(deps), ...createRemoteRegistryActivities(deps), ...createReplicationActivities(deps), ...createMembershipActivities(deps), ...createAuditActivities(deps), ...createInboxActivities(deps), ...createApprovalActivities(deps), ...createLocationActivities(deps), ...createCleanupActivities(deps), ...createVirtualRegistryActivities(deps), ...createPullTokenActivities(deps) };
}
