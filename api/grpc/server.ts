// First: the extension that gives zod schemas .openapi(); the REST schemas the handlers parse with
// call it as they are built, and zod 4 schemas built before it lack it (api/app.ts imports it first too).
import '@hono/zod-openapi';
import http2 from 'node:http2';
import { createRegistry, type DescFile, type DescService } from '@bufbuild/protobuf';
import { file_google_protobuf_struct } from '@bufbuild/protobuf/wkt';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import type { Client } from '@temporalio/client';
import type { KeycloakConfig } from '../../activities/keycloak';
import type { ChangeFeed } from '../../db/change-feed';
import type { Db } from '../../db/client';
import { createProjectLookup } from '../../db/queries/project-lookup';
import { file_grpc_health_v1_health, Health } from '../../gen/grpc/health/v1/health_pb';
import { CheckpointService, file_modelregistry_v1_checkpoints } from '../../gen/modelregistry/v1/checkpoints_pb';
import { file_modelregistry_v1_members, MemberService } from '../../gen/modelregistry/v1/members_pb';
import { file_modelregistry_v1_users, UserService } from '../../gen/modelregistry/v1/users_pb';
import { file_google_rpc_error_details } from '../../gen/google/rpc/error_details_pb';
import { file_grpc_reflection_v1_reflection, ServerReflection as ReflectionV1 } from '../../gen/grpc/reflection/v1/reflection_pb';
import { file_grpc_reflection_v1alpha_reflection, ServerReflection as ReflectionV1alpha } from '../../gen/grpc/reflection/v1alpha/reflection_pb';
import { CleanupService, file_modelregistry_v1_cleanup } from '../../gen/modelregistry/v1/cleanup_pb';
import { file_modelregistry_v1_models, ModelService } from '../../gen/modelregistry/v1/models_pb';
import { file_modelregistry_v1_operations, OperationService } from '../../gen/modelregistry/v1/operations_pb';
import { file_modelregistry_v1_projects, ProjectService } from '../../gen/modelregistry/v1/projects_pb';
import { file_modelregistry_v1_promotions, PromotionService } from '../../gen/modelregistry/v1/promotions_pb';
import { file_modelregistry_v1_registries, RegistryService } from '../../gen/modelregistry/v1/registries_pb';
import { file_modelregistry_v1_replications, ReplicationService } from '../../gen/modelregistry/v1/replications_pb';
import { file_modelregistry_v1_pull_tokens, PullTokenService } from '../../gen/modelregistry/v1/pull_tokens_pb';
import { file_modelregistry_v1_robots, RobotService } from '../../gen/modelregistry/v1/robots_pb';
import { file_modelregistry_v1_storage, StorageService } from '../../gen/modelregistry/v1/storage_pb';
import { file_modelregistry_v1_tenants, TenantService } from '../../gen/modelregistry/v1/tenants_pb';
import { file_modelregistry_v1_virtual_registries, UpstreamService, VirtualRegistryService } from '../../gen/modelregistry/v1/virtual_registries_pb';
import type { Logger } from '../../lib/logger';
import type { SecretBox } from '../../lib/secrets';
import { createAuthorizer, type AuthDeps } from '../auth/middleware';
import { RPC_POLICIES } from '../auth/rpc-policies';
import type { RoutePolicy } from '../auth/route-policies';
import { createServices } from '../services';
import { authorization, deadlines, knownMaskPaths, nulFree, problemsAsStatuses, requestLog } from './interceptors';
import { checkpointRpcs } from './services/checkpoints';
import { healthRpcs } from './services/health';
import { memberRpcs } from './services/members';
import { userRpcs } from './services/users';
import { cleanupRpcs } from './services/cleanup';
import { modelRpcs } from './services/models';
import { operationRpcs } from './services/operations';
import { projectRpcs } from './services/projects';
import { promotionRpcs } from './services/promotions';
import { reflectionRpcs } from './services/reflection';
import { registryRpcs } from './services/registries';
import { replicationRpcs } from './services/replications';
import { pullTokenRpcs } from './services/pull-tokens';
import { robotRpcs } from './services/robots';
import { storageRpcs } from './services/storage';
import { tenantRpcs } from './services/tenants';
import { upstreamRpcs, virtualRegistryRpcs } from './services/virtual-registries';

export interface GrpcDeps {
  db: Db;
  client: Client;
  taskQueue: string;
  mutationWaitMs: number;
  logger: Logger;
  registries: string[];
  secrets: SecretBox;
  auth: AuthDeps;
  /** How long a promotion waits for an approval unless the request says (default 7 days), as REST's. */
  promotionApprovalTimeoutSeconds?: number;
  /** Without it (the light stack) UserService and MemberService answer UNAVAILABLE, as REST's 503. */
  keycloak?: KeycloakConfig;
  /** The database's change notifications: with them project lookups are kept in memory until projects change (db/change-feed.ts). */
  changes?: ChangeFeed;
}

/** The API's own services, and the standard ones. */
export const API_SERVICES: readonly DescService[] = [TenantService, ProjectService, ModelService, RobotService, RegistryService, UpstreamService, VirtualRegistryService, PullTokenService, CleanupService, OperationService, UserService, MemberService, CheckpointService, ReplicationService, PromotionService, StorageService];
export const STANDARD_SERVICES: readonly DescService[] = [Health, ReflectionV1, ReflectionV1alpha];
const FILES: readonly DescFile[] = [
  file_modelregistry_v1_tenants,
  file_modelregistry_v1_projects,
  file_modelregistry_v1_models,
  file_modelregistry_v1_robots,
  file_modelregistry_v1_registries,
  file_modelregistry_v1_virtual_registries,
  file_modelregistry_v1_pull_tokens,
  file_modelregistry_v1_cleanup,
  file_modelregistry_v1_operations,
  file_modelregistry_v1_users,
  file_modelregistry_v1_members,
  file_modelregistry_v1_checkpoints,
  file_modelregistry_v1_replications,
  file_modelregistry_v1_promotions,
  file_modelregistry_v1_storage,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
  // Not used by any service, but named in error details: grpcurl decodes a BadRequest through reflection.
  file_google_rpc_error_details,
];

/** Every served RPC without an entry in the policy table, and every entry that is no served RPC. */
export function undeclaredRpcs(services: readonly DescService[], table: Record<string, RoutePolicy | 'public'>): string[] {
  const served = services.flatMap((s) => s.methods.map((m) => `/${s.typeName}/${m.name}`));
  return [
    ...served.filter((rpc) => !(rpc in table)).map((rpc) => `${rpc} declares no PBAC action in api/auth/rpc-policies.ts`),
    ...Object.keys(table).filter((rpc) => !served.includes(rpc)).map((rpc) => `${rpc} is in api/auth/rpc-policies.ts but is not served`),
  ];
}

/**
 * The gRPC API (and gRPC-Web and Connect, from the same handlers) over the service layer REST
 * uses: a Node request handler for an HTTP/2 server. Refuses to start when an RPC has no policy.
 */
export function createGrpcHandler(deps: GrpcDeps) {
  const all = [...API_SERVICES, ...STANDARD_SERVICES];
  const undeclared = undeclaredRpcs(all, RPC_POLICIES);
  if (undeclared.length > 0) throw new Error(`RPC policies do not match the services:\n  ${undeclared.join('\n  ')}`);
  const projects = createProjectLookup(deps.db, deps.changes);
  const services = createServices({ ...deps, projects, mutations: { client: deps.client, taskQueue: deps.taskQueue, mutationWaitMs: deps.mutationWaitMs } });
  const authorizer = createAuthorizer({ ...deps.auth, db: deps.db, client: deps.client, registries: deps.registries, logger: deps.logger, projects });
  const names = all.map((s) => s.typeName);
  const reflection = reflectionRpcs({ files: FILES, services: names });
  return connectNodeAdapter({
    // Connect's JSON encodes an Operation's `response` (an Any) by its type: every message we answer, and Value.
    // Unknown fields are refused as REST refuses them (protobuf JSON's default), not dropped unseen.
    jsonOptions: { registry: createRegistry(...FILES, file_google_protobuf_struct), ignoreUnknownFields: false },
    interceptors: [requestLog(deps.logger), problemsAsStatuses(deps.logger), nulFree(), knownMaskPaths(), deadlines(deps.client, deps.mutationWaitMs), authorization(authorizer, RPC_POLICIES)],
    routes(router) {
      router.service(TenantService, tenantRpcs(services));
      router.service(ProjectService, projectRpcs(services));
      router.service(ModelService, modelRpcs(services));
      router.service(RobotService, robotRpcs(services));
      router.service(RegistryService, registryRpcs(services));
      router.service(UpstreamService, upstreamRpcs(services));
      router.service(VirtualRegistryService, virtualRegistryRpcs(services));
      router.service(PullTokenService, pullTokenRpcs(services));
      router.service(CleanupService, cleanupRpcs(services));
      router.service(OperationService, operationRpcs(services));
      router.service(UserService, userRpcs(services));
      router.service(MemberService, memberRpcs(services));
      router.service(CheckpointService, checkpointRpcs(services));
      router.service(ReplicationService, replicationRpcs(services));
      router.service(PromotionService, promotionRpcs(services));
      router.service(StorageService, storageRpcs(services));
      router.service(Health, healthRpcs({ db: deps.db, client: deps.client, services: names }));
      router.service(ReflectionV1, reflection.v1);
      router.service(ReflectionV1alpha, reflection.v1alpha);
    },
  });
}

/** Serves the gRPC API on HTTP/2 without TLS (h2c), as gRPC clients call a plaintext server. */
export async function startGrpcServer(deps: GrpcDeps, listen: { port: number; host: string }) {
  const server = http2.createServer(createGrpcHandler(deps));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(listen.port, listen.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : listen.port;
  return {
    port,
    /** `host:port`, as grpcurl and grpc-js take it. */
    address: `${listen.host}:${port}`,
    /**
     * Stops listening and ends the clients' connections: a closing HTTP/2 server waits for them,
     * and Watch streams never end by themselves.
     */
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const session of sessions) session.destroy();
      }),
  };
}
