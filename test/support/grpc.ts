import { createClient, type Client } from '@connectrpc/connect';
import type { DescService } from '@bufbuild/protobuf';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { CheckpointService } from '../../gen/modelregistry/v1/checkpoints_pb';
import { CleanupService } from '../../gen/modelregistry/v1/cleanup_pb';
import { MemberService } from '../../gen/modelregistry/v1/members_pb';
import { ModelService } from '../../gen/modelregistry/v1/models_pb';
import { OperationService } from '../../gen/modelregistry/v1/operations_pb';
import { ProjectService } from '../../gen/modelregistry/v1/projects_pb';
import { PullTokenService } from '../../gen/modelregistry/v1/pull_tokens_pb';
import { PromotionService } from '../../gen/modelregistry/v1/promotions_pb';
import { RegistryService } from '../../gen/modelregistry/v1/registries_pb';
import { ReplicationService } from '../../gen/modelregistry/v1/replications_pb';
import { RobotService } from '../../gen/modelregistry/v1/robots_pb';
import { StorageService } from '../../gen/modelregistry/v1/storage_pb';
import { TenantService } from '../../gen/modelregistry/v1/tenants_pb';
import { UserService } from '../../gen/modelregistry/v1/users_pb';
import { UpstreamService, VirtualRegistryService } from '../../gen/modelregistry/v1/virtual_registries_pb';
import type { TestStack } from './stack';

/**
 * Clients of the stack's gRPC API over the gRPC protocol (HTTP/2, not Connect), sending `token`
 * as `authorization: Bearer` metadata unless a call sets its own (an empty one sends none);
 * `address`: another server of the stack's (`grpcWith`).
 */
export function grpcClients(stack: TestStack, token: string = stack.auth.adminToken, address: string = stack.grpcAddress) {
  const transport = createGrpcTransport({
    baseUrl: `http://${address}`,
    interceptors: [
      (next) => (req) => {
        if (!req.header.has('authorization')) req.header.set('authorization', `Bearer ${token}`);
        else if (req.header.get('authorization') === '') req.header.delete('authorization');
        return next(req);
      },
    ],
  });
  const client = <S extends DescService>(service: S): Client<S> => createClient(service, transport);
  return { transport, tenants: client(TenantService), projects: client(ProjectService), models: client(ModelService), robots: client(RobotService), registries: client(RegistryService), upstreams: client(UpstreamService), virtualRegistries: client(VirtualRegistryService), pullTokens: client(PullTokenService), cleanup: client(CleanupService), operations: client(OperationService), users: client(UserService), members: client(MemberService), checkpoints: client(CheckpointService), replications: client(ReplicationService), promotions: client(PromotionService), storage: client(StorageService) };
}
export type GrpcClients = ReturnType<typeof grpcClients>;
