import type { HarborSummary, ProjectSettings } from '../../db/read-models/projects';
import type { OciManifest } from '../../lib/model-metadata';
import type { ImportedArtifact, ImportedRepository } from '../db/catalogue-import';
import { randomSecret, type SecretBox } from '../../lib/secrets';
import type { HarborArtifact, HarborClient } from './client';
import { isConflict, isNotFound } from './errors';
import type { HarborInstances } from './instances';

/** The one webhook policy the service owns in each managed project. */
export const WEBHOOK_POLICY_NAME = 'model-registry';
export const WEBHOOK_EVENT_TYPES = [
  'PUSH_ARTIFACT',
  'PULL_ARTIFACT',
  'DELETE_ARTIFACT',
  'SCANNING_COMPLETED',
  'SCANNING_FAILED',
  'SCANNING_STOPPED',
  'QUOTA_EXCEED',
  'QUOTA_WARNING',
  'REPLICATION',
  'TAG_RETENTION',
];

export interface MemberSpec {
  group: string;
  roleId: number;
}

export interface HarborProjectSpec {
  registry: string;
  name: string;
  public: boolean;
  storageLimit: number | null;
  settings: ProjectSettings;
}

interface NativeReport {
  report_id?: string;
  scan_status?: string;
  severity?: string;
  summary?: unknown;
  start_time?: string;
  end_time?: string;
  scanner?: { name?: string; version?: string };
}

/** An artifact as the catalogue records it: tags, scan reports (Harbor's scan overview) and signature accessories. */
function toImportedArtifact(a: HarborArtifact): ImportedArtifact {
  const reports = Object.values((a.scan_overview ?? {}) as Record<string, NativeReport>).filter((r) => r.report_id);
  return {
    digest: a.digest!,
    harborId: a.id!,
    tags: (a.tags ?? []).map((t) => ({ name: t.name!, harborId: t.id! })),
    scans: reports.map((r) => ({
      reportId: r.report_id!,
      scanner: r.scanner?.name ? `${r.scanner.name} ${r.scanner.version ?? ''}`.trim() : null,
      status: r.scan_status ?? 'Pending',
      severity: r.severity ?? null,
      summary: r.summary === undefined ? null : JSON.stringify(r.summary),
      startTime: r.start_time ?? null,
      endTime: r.end_time ?? null,
    })),
    signatures: (a.accessories ?? []).filter((x) => x.type?.startsWith('signature.')).map((x) => ({ digest: x.digest!, harborId: x.id!, type: x.type! })),
  };
}

function metadata(spec: { public: boolean; settings: ProjectSettings }) {
  return {
    public: String(spec.public),
    auto_scan: String(spec.settings.autoScan),
    enable_content_trust_cosign: String(spec.settings.contentTrustCosign),
    prevent_vul: String(spec.settings.preventVulnerable),
    severity: spec.settings.severity,
  };
}

/**
 * Harbor side of project onboarding and lifecycle. Each activity converges on the wanted state, so
 * a retry after a crash finds its own earlier work instead of failing or doing it twice; each
 * compensation tolerates what is already gone.
 */
export function createHarborProjectActivities(deps: { harbor: HarborInstances; secrets: SecretBox; webhookReceiverUrl: string }) {
  const harbor = (registry: string): HarborClient => deps.harbor.get(registry);

  return {
    async harborProjectExists(registry: string, name: string): Promise<boolean> {
      return harbor(registry).projects.exists(name);
    },

    /** Creates the project; on a retry after it was created, returns the existing id. */
    async createHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      try {
        return await client.projects.create({
          project_name: spec.name,
          public: spec.public,
          storage_limit: spec.storageLimit ?? -1,
          metadata: metadata(spec),
        });
      } catch (err) {
        if (!isConflict(err)) throw err;
        const existing = await client.projects.get(spec.name);
        return existing!.project_id!;
      }
    },

    /** Resets an existing project's settings to ours (registration) or applies a change. */
    async configureHarborProject(spec: HarborProjectSpec): Promise<number> {
      const client = harbor(spec.registry);
      await client.projects.update(spec.name, { metadata: metadata(spec), ...(spec.storageLimit === null ? {} : { storage_limit: spec.storageLimit }) });
      return (await client.projects.get(spec.name))!.project_id!;
    },

    async deleteHarborProject(registry: string, name: string): Promise<void> {
      const client = harbor(registry);
      try {
        // Robots of a project go with it in Harbor; policies and members too.
        await client.projects.delete(name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /** Makes the OIDC group members match `members` (adds, re-roles; leaves other members alone unless `exact`). */
    async syncHarborMembers(registry: string, name: string, members: MemberSpec[], exact = false): Promise<{ added: string[]; updated: string[]; removed: string[] }> {
      const client = harbor(registry);
      const current = (await client.members.list(name)).filter((m) => m.entity_type === 'g');
      const changes = { added: [] as string[], updated: [] as string[], removed: [] as string[] };
      for (const want of members) {
        const have = current.find((m) => m.entity_name === want.group);
        if (!have) {
          try {
            await client.members.addGroup(name, want.group, want.roleId);
          } catch (err) {
            if (!isConflict(err)) throw err;
          }
          changes.added.push(want.group);
        } else if (have.role_id !== want.roleId) {
          await client.members.updateRole(name, have.id!, want.roleId);
          changes.updated.push(want.group);
        }
      }
      if (exact) {
        for (const extra of current.filter((m) => !members.some((w) => w.group === m.entity_name))) {
          await client.members.remove(name, extra.id!);
          changes.removed.push(extra.entity_name!);
        }
      }
      return changes;
    },

    async removeHarborMembers(registry: string, name: string, groups: string[]): Promise<void> {
      const client = harbor(registry);
      let current;
      try {
        current = await client.members.list(name);
      } catch (err) {
        if (isNotFound(err)) return;
        throw err;
      }
      for (const member of current.filter((m) => m.entity_type === 'g' && groups.includes(m.entity_name!))) {
        try {
          await client.members.remove(name, member.id!);
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
    },

    /**
     * Creates or resets the service's webhook policy with a fresh secret sent as `Authorization`.
     * Returns the secret sealed: it never enters workflow history in clear.
     */
    async ensureWebhookPolicy(registry: string, name: string): Promise<{ policyId: number; sealedSecret: string }> {
      const client = harbor(registry);
      const secret = randomSecret();
      const policy = {
        name: WEBHOOK_POLICY_NAME,
        description: 'Model Registry catalogue updates',
        enabled: true,
        event_types: WEBHOOK_EVENT_TYPES,
        targets: [{ type: 'http', address: deps.webhookReceiverUrl, auth_header: `Bearer ${secret}`, skip_cert_verify: false, payload_format: 'Default' as const }],
      };
      const existing = (await client.webhooks.list(name)).find((p) => p.name === WEBHOOK_POLICY_NAME);
      let policyId: number;
      if (existing) {
        await client.webhooks.update(name, existing.id!, { ...policy, id: existing.id });
        policyId = existing.id!;
      } else {
        policyId = await client.webhooks.create(name, policy);
      }
      return { policyId, sealedSecret: deps.secrets.seal(secret) };
    },

    async deleteWebhookPolicy(registry: string, name: string): Promise<void> {
      const client = harbor(registry);
      try {
        for (const policy of (await client.webhooks.list(name)).filter((p) => p.name === WEBHOOK_POLICY_NAME)) await client.webhooks.delete(name, policy.id!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /**
     * A project robot with push/pull. Harbor shows a secret only at creation: a retry that finds
     * the robot already there refreshes its secret to have one to hand back. Sealed on return.
     */
    async createProjectRobot(registry: string, project: string, robot: string, durationDays: number): Promise<{ robotId: number; name: string; sealedSecret: string; expiresAt: number }> {
      const client = harbor(registry);
      const fullName = `robot$${project}+${robot}`;
      const projectId = (await client.projects.get(project))!.project_id!;
      const existing = (await client.robots.listForProject(projectId)).find((r) => r.name === fullName);
      if (existing) {
        const refreshed = await client.robots.refreshSecret(existing.id!);
        return { robotId: existing.id!, name: fullName, sealedSecret: deps.secrets.seal(refreshed!.secret!), expiresAt: existing.expires_at ?? -1 };
      }
      const created = await client.robots.create({
        name: robot,
        level: 'project',
        duration: durationDays,
        description: 'created by Model Registry onboarding',
        permissions: [
          {
            kind: 'project',
            namespace: project,
            access: ['push', 'pull', 'delete'].map((action) => ({ resource: 'repository', action })).concat([{ resource: 'artifact', action: 'read' }, { resource: 'tag', action: 'create' }]),
          },
        ],
      });
      return { robotId: created!.id!, name: created!.name!, sealedSecret: deps.secrets.seal(created!.secret!), expiresAt: created!.expires_at ?? -1 };
    },

    async deleteProjectRobot(registry: string, project: string, robot: string): Promise<void> {
      const client = harbor(registry);
      try {
        const projectId = (await client.projects.get(project))!.project_id!;
        for (const r of (await client.robots.listForProject(projectId)).filter((x) => x.name === `robot$${project}+${robot}`)) await client.robots.delete(r.id!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },

    /** Quota and repository count for the project's read model, with the time Harbor was asked. */
    async harborProjectSummary(registry: string, name: string): Promise<HarborSummary> {
      const summary = await harbor(registry).projects.summary(name);
      const storage = (r: unknown) => ((r as { storage?: number } | undefined)?.storage ?? null);
      return { repoCount: summary?.repo_count ?? 0, quotaHard: storage(summary?.quota?.hard), quotaUsed: storage(summary?.quota?.used), refreshedAt: new Date().toISOString() };
    },

    /** Every repository (or the one named) and its artifacts (all pages) of a project, as the catalogue wants them. */
    async listHarborRepositories(registry: string, name: string, only?: string): Promise<ImportedRepository[]> {
      const client = harbor(registry);
      const repos = only
        ? [await client.repositories.get(name, only)].filter((r) => r !== undefined)
        : await client.all((page, pageSize) => client.repositories.list(name, { page, pageSize }));
      const result: ImportedRepository[] = [];
      for (const repo of repos) {
        const short = repo.name!.slice(name.length + 1);
        const artifacts = await client.all((page, pageSize) => client.artifacts.list(name, short, { page, pageSize, withTag: true, withScanOverview: true, withAccessory: true }));
        result.push({
          fullName: repo.name!,
          harborId: repo.id!,
          description: repo.description ?? '',
          artifacts: artifacts.map(toImportedArtifact),
        });
      }
      return result;
    },

    /** One artifact as the catalogue wants it, or null when Harbor no longer has it. */
    async fetchHarborArtifact(registry: string, project: string, repository: string, digest: string): Promise<ImportedArtifact | null> {
      try {
        const a = await harbor(registry).artifacts.get(project, repository, digest, { withScanOverview: true, withAccessory: true, withLabel: false });
        return toImportedArtifact(a!);
      } catch (err) {
        if (isNotFound(err)) return null;
        throw err;
      }
    },

    /** The manifest of an artifact and, when it is small JSON (a ModelPack config), its config. */
    async fetchArtifactManifest(registry: string, project: string, repository: string, digest: string): Promise<{ manifest: OciManifest; config: unknown }> {
      const client = harbor(registry);
      const fullName = `${project}/${repository}`;
      const manifest = (await client.registry.manifest(fullName, digest)) as OciManifest;
      const config = manifest.config && manifest.config.size <= 1024 * 1024 && manifest.config.mediaType.endsWith('json') ? await client.registry.blobJson(fullName, manifest.config.digest) : null;
      return { manifest, config };
    },

    /** Deletes every repository of a project (purge with force). */
    async deleteHarborRepositories(registry: string, name: string): Promise<number> {
      const client = harbor(registry);
      const repos = await client.all((page, pageSize) => client.repositories.list(name, { page, pageSize }));
      for (const repo of repos) {
        try {
          await client.repositories.delete(name, repo.name!.slice(name.length + 1));
        } catch (err) {
          if (!isNotFound(err)) throw err;
        }
      }
      return repos.length;
    },

    async harborArtifactCount(registry: string, name: string): Promise<number> {
      const client = harbor(registry);
      const repos = await client.all((page, pageSize) => client.repositories.list(name, { page, pageSize }));
      return repos.reduce((sum, r) => sum + (r.artifact_count ?? 0), 0);
    },
  };
}
