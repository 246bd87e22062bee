import type { Client } from '@temporalio/client';
import type { Db } from '../../db/client';
import type { SecretBox } from '../../lib/secrets';
import type { MutationDeps } from '../operations';
import { createCleanupService } from './cleanup';
import { createModelService } from './models';
import { createOperationService } from './operations';
import { createProjectService } from './projects';
import { createRegistryService } from './registries';
import { createRobotService } from './robots';
import { createTenantService } from './tenants';
import { createVirtualRegistryService } from './virtual-registries';

export interface ServiceDeps {
  db: Db;
  client: Client;
  mutations: MutationDeps;
  registries: string[];
  secrets: SecretBox;
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
    cleanup: createCleanupService(deps),
    operations: createOperationService(deps),
  };
}
export type Services = ReturnType<typeof createServices>;
