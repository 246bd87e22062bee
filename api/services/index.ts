import type { Client } from '@temporalio/client';
import type { KeycloakConfig } from '../../activities/keycloak';
import type { Db } from '../../db/client';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import type { SecretBox } from '../../lib/secrets';
import type { MutationDeps } from '../operations';
import { createCheckpointService } from './checkpoints';
import { createCleanupService } from './cleanup';
import { createMemberService } from './members';
import { createModelService } from './models';
import { createOperationService } from './operations';
import { createProjectService } from './projects';
import { createPromotionService } from './promotions';
import { createPullTokenService } from './pull-tokens';
import { createRegistryService } from './registries';
import { createReplicationService } from './replications';
import { createRobotService } from './robots';
import { createStorageReclaimService } from './storage-reclaim';
import { createTenantService } from './tenants';
import { createUserService } from './users';
import { createVirtualRegistryService } from './virtual-registries';

export interface ServiceDeps {
  db: Db;
  client: Client;
  mutations: MutationDeps;
  /** Projects by name, as the request's authorization looked them up. */
  projects: ProjectLookup;
  registries: string[];
  secrets: SecretBox;
  /** Without it (the light stack) users and members answer 503. */
  keycloak?: KeycloakConfig;
  /** How long a promotion waits for an approval unless the request says (default 7 days). */
  promotionApprovalTimeoutSeconds?: number;
}

/** The transport-free service layer REST (api/routes) and gRPC (api/grpc) both call. */
export function createServices(deps: ServiceDeps) {
  return {
    tenants: createTenantService(deps),
    projects: createProjectService(deps),
    models: createModelService(deps),
    robots: createRobotService(deps),
    remoteRegistries: createRegistryService(deps),
    virtualRegistries: createVirtualRegistryService(deps),
    pullTokens: createPullTokenService(deps),
    cleanup: createCleanupService(deps),
    users: createUserService({ mutations: deps.mutations, keycloak: deps.keycloak !== undefined }),
    members: createMemberService({ ...deps, keycloak: deps.keycloak !== undefined }),
    checkpoints: createCheckpointService(deps),
    replications: createReplicationService(deps),
    promotions: createPromotionService({ ...deps, approvalTimeoutSeconds: deps.promotionApprovalTimeoutSeconds }),
    storageReclaim: createStorageReclaimService(deps),
    operations: createOperationService(deps),
  };
}
export type Services = ReturnType<typeof createServices>;
