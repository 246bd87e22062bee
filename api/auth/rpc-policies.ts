import type { RoutePolicy } from './route-policies';

/**
 * Every RPC of the gRPC API, as `/<package.Service>/<Method>`, with the action and resource of
 * its REST twin (route-policies.ts), or `public`. Resource sources name request fields (their
 * proto3 JSON names): `param` and `query` read a field, `tenant-body` a field of the message.
 * The server refuses to start when a served RPC is missing here (api/grpc/server.ts), and
 * test/grpc/auth-matrix.test.ts runs over this table.
 */
export const RPC_POLICIES: Record<string, RoutePolicy | 'public'> = {
  '/modelregistry.v1.TenantService/CreateTenant': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'name', creates: true } },
  '/modelregistry.v1.TenantService/GetTenant': { action: 'projects.read', resource: { kind: 'tenant-param', param: 'name' } },
  '/modelregistry.v1.TenantService/ListTenants': { action: 'projects.read', resource: { kind: 'list' } },

  '/modelregistry.v1.ProjectService/OnboardProject': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'tenantId' } },
  '/modelregistry.v1.ProjectService/RegisterProject': { action: 'projects.write', resource: { kind: 'tenant-body', field: 'tenantId' } },
  '/modelregistry.v1.ProjectService/GetProject': { action: 'projects.read', resource: { kind: 'project', param: 'name' } },
  '/modelregistry.v1.ProjectService/ListProjects': { action: 'projects.read', resource: { kind: 'list' } },
  '/modelregistry.v1.ProjectService/UpdateProject': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  '/modelregistry.v1.ProjectService/DeleteProject': { action: 'projects.write', resource: { kind: 'project', param: 'name' } },
  '/modelregistry.v1.ProjectService/RefreshProject': { action: 'models.write', resource: { kind: 'project', param: 'name' } },

  '/modelregistry.v1.ModelService/ListModels': { action: 'models.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ModelService/GetModel': { action: 'models.read', resource: { kind: 'project', param: 'project', model: 'model' } },
  '/modelregistry.v1.ModelService/UpdateModel': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model' } },
  '/modelregistry.v1.ModelService/GetModelVersion': { action: 'models.read', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.ModelService/ResolveModel': { action: 'models.read', resource: { kind: 'full-name', query: 'name' } },
  '/modelregistry.v1.ModelService/GetModelAudit': { action: 'audit.read', resource: { kind: 'project', param: 'project', model: 'model' } },
  '/modelregistry.v1.ModelService/RefreshModel': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model' } },

  // Robots are credentials into the project: managing them is a project write.
  '/modelregistry.v1.RobotService/CreateRobot': { action: 'projects.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.RobotService/GetRobot': { action: 'projects.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.RobotService/ListRobots': { action: 'projects.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.RobotService/DeleteRobot': { action: 'projects.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.RobotService/RefreshRobotSecret': { action: 'projects.write', resource: { kind: 'project', param: 'project' } },

  // Remote registries: a tenant's, or shared (created by platform administrators only); pinging is a read.
  '/modelregistry.v1.RegistryService/ListRegistries': { action: 'registries.read', resource: { kind: 'list' } },
  '/modelregistry.v1.RegistryService/CreateRegistry': { action: 'registries.write', resource: { kind: 'tenant-body', field: 'tenant' } },
  '/modelregistry.v1.RegistryService/GetRegistry': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },
  '/modelregistry.v1.RegistryService/UpdateRegistry': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  '/modelregistry.v1.RegistryService/SetRegistryCredentials': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  '/modelregistry.v1.RegistryService/DeleteRegistry': { action: 'registries.write', resource: { kind: 'remote-registry', param: 'name' } },
  '/modelregistry.v1.RegistryService/PingRegistry': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },

  // Upstreams and virtual registries: a tenant's own, as REST (checking an upstream changes nothing: a read).
  '/modelregistry.v1.UpstreamService/ListUpstreams': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UpstreamService/GetUpstream': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UpstreamService/CreateUpstream': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UpstreamService/UpdateUpstream': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UpstreamService/DeleteUpstream': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UpstreamService/CheckUpstream': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/ListVirtualRegistries': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/GetVirtualRegistry': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/CreateVirtualRegistry': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/UpdateVirtualRegistry': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/DeleteVirtualRegistry': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/SetVirtualRegistryUpstreams': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/PurgeVirtualRegistryCache': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.VirtualRegistryService/WarmVirtualRegistry': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.PullTokenService/ListPullTokens': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.PullTokenService/GetPullToken': { action: 'registries.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.PullTokenService/CreatePullToken': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.PullTokenService/DeletePullToken': { action: 'registries.write', resource: { kind: 'tenant-param', param: 'tenant' } },

  // Cleanup: reading candidates and runs is cleanup.read; policies and runs are cleanup.admin, as REST.
  '/modelregistry.v1.CleanupService/GetCleanupPolicy': { action: 'cleanup.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/SetCleanupPolicy': { action: 'cleanup.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/DeleteCleanupPolicy': { action: 'cleanup.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/ListCleanupCandidates': { action: 'cleanup.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/PreviewCleanupCandidates': { action: 'cleanup.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/StartCleanupRun': { action: 'cleanup.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/ListCleanupRuns': { action: 'cleanup.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/GetCleanupRun': { action: 'cleanup.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/ApproveCleanupRun': { action: 'cleanup.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/CancelCleanupRun': { action: 'cleanup.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CleanupService/GetTenantCleanupPolicy': { action: 'cleanup.read', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.CleanupService/SetTenantCleanupPolicy': { action: 'cleanup.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.CleanupService/GetTenantCleanupCandidates': { action: 'cleanup.read', resource: { kind: 'tenant-param', param: 'tenant' } },

  // A remote registry's versions: the list keeps those of projects the caller may read, as REST.
  '/modelregistry.v1.RegistryService/ListRegistryModels': { action: 'registries.read', resource: { kind: 'remote-registry', param: 'name' } },

  // A project's replication rules, executions and pull syncs: guarded like the remote registries they use, in the project's tenant.
  '/modelregistry.v1.ReplicationService/ListReplicationRules': { action: 'registries.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/CreateReplicationRule': { action: 'registries.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/GetReplicationRule': { action: 'registries.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/UpdateReplicationRule': { action: 'registries.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/DeleteReplicationRule': { action: 'registries.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/RunReplicationRule': { action: 'registries.write', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/ListReplicationExecutions': { action: 'registries.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/GetReplicationExecution': { action: 'registries.read', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.ReplicationService/SyncReplicationRule': { action: 'registries.write', resource: { kind: 'project', param: 'project' } },

  // Approval is its own action (never by the version's pusher, checked by the service); promoting is a model write.
  '/modelregistry.v1.PromotionService/ApproveVersion': { action: 'models.approve', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.PromotionService/WithdrawVersionApproval': { action: 'models.approve', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.PromotionService/PromoteVersion': { action: 'models.write', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },

  // Storage reclaim (Harbor's GC): the platform's, platform administrators only.
  '/modelregistry.v1.StorageService/StartGarbageCollection': { action: 'cleanup.admin', resource: { kind: 'platform' } },
  '/modelregistry.v1.StorageService/GetGarbageCollection': { action: 'cleanup.admin', resource: { kind: 'platform' } },

  '/modelregistry.v1.OperationService/GetOperation': { action: 'projects.read', resource: { kind: 'operation', param: 'id' } },
  '/modelregistry.v1.OperationService/WatchOperation': { action: 'projects.read', resource: { kind: 'operation', param: 'id' } },

  // Users, members and checkpoints: as REST (membership.admin in the tenant or project; checkpoints.read / checkpoints.write on the version).
  '/modelregistry.v1.UserService/ListUsers': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UserService/GetUser': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UserService/CreateUser': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.UserService/DeleteUser': { action: 'membership.admin', resource: { kind: 'tenant-param', param: 'tenant' } },
  '/modelregistry.v1.MemberService/GetMembers': { action: 'membership.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.MemberService/SetMembers': { action: 'membership.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.MemberService/SyncMembers': { action: 'membership.admin', resource: { kind: 'project', param: 'project' } },
  '/modelregistry.v1.CheckpointService/ListCheckpoints': { action: 'checkpoints.read', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.CheckpointService/GetCheckpoint': { action: 'checkpoints.read', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.CheckpointService/CreateCheckpoint': { action: 'checkpoints.write', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.CheckpointService/UpdateCheckpoint': { action: 'checkpoints.write', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },
  '/modelregistry.v1.CheckpointService/DeleteCheckpoint': { action: 'checkpoints.write', resource: { kind: 'project', param: 'project', model: 'model', version: 'tag' } },

  // Infrastructure, like /readyz and /openapi.json: tools and load balancers ask them without a token.
  '/grpc.health.v1.Health/Check': 'public',
  '/grpc.health.v1.Health/Watch': 'public',
  '/grpc.reflection.v1.ServerReflection/ServerReflectionInfo': 'public',
  '/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo': 'public',
};
