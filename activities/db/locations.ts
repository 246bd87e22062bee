import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { findLiveProject } from '../../db/queries/projects';
import { findLiveVersion } from '../../db/queries/versions';
import { images, models, modelVersionLocations, signatures, tags, validationResults } from '../../db/schema';
import type { VersionRef } from '../../lib/checkpoints';
import { notFound } from '../../lib/failure-types';
import { severityPasses, type GateResult, type PromotionFacts } from '../../lib/promotion';
import type { LocationStatus } from '../../lib/replication';

export interface LocationInput {
  projectId: string;
  model: string;
  tag: string;
  remoteRegistryId: string;
  remoteRepository: string;
  localDigest: string | null;
  remoteDigest: string | null;
  status: LocationStatus;
  executionId: string | null;
  detail: string | null;
}

/** Promotion gates from the catalogue, and where versions live. */
export function createLocationActivities({ db }: { db: Db }) {
  return {
    /**
     * The version's digest, its gates (the newest scan of its image against the project's severity
     * threshold; a cosign or notation signature) and whether it is approved.
     */
    async promotionFacts(ref: VersionRef): Promise<PromotionFacts> {
      const project = await findLiveProject(db, ref.registry, ref.project);
      const version = project && (await findLiveVersion(db, ref));
      if (!project || !version) throw notFound(`no version "${ref.tag}" of "${ref.project}/${ref.model}" in ${ref.registry}`);
      const threshold = project.settings?.severity ?? 'high';
      const [scan] = await db
        .select({ status: validationResults.scanStatus, severity: validationResults.scanSeverity })
        .from(validationResults)
        .where(and(eq(validationResults.imageId, version.imageId), eq(validationResults.isArchived, false)))
        .orderBy(sql`${validationResults.endTime} desc nulls last`)
        .limit(1);
      const [signature] = await db.select({ id: signatures.id }).from(signatures).where(and(eq(signatures.imageId, version.imageId), eq(signatures.isArchived, false))).limit(1);
      const [image] = await db.select({ approved: images.isApproved }).from(images).where(eq(images.id, version.imageId));
      const scanGate: GateResult = !scan
        ? { gate: 'scan', passed: false, detail: 'the version has not been scanned' }
        : scan.status !== 'Success'
          ? { gate: 'scan', passed: false, detail: `the scan has not completed (${scan.status ?? 'unknown'})` }
          : severityPasses(scan.severity ?? '', threshold)
            ? { gate: 'scan', passed: true, detail: `severity ${scan.severity} is below the project's threshold ${threshold}` }
            : { gate: 'scan', passed: false, detail: `severity ${scan.severity} is at or above the project's threshold ${threshold}` };
      const signatureGate: GateResult = signature ? { gate: 'signature', passed: true, detail: 'signed' } : { gate: 'signature', passed: false, detail: 'no cosign or notation signature' };
      return { projectId: project.id, tenant: project.tenantId, digest: version.digest, gates: [scanGate, signatureGate], approved: image?.approved ?? false };
    },

    /** Where a version lives on one remote repository: inserted or brought up to date. */
    async recordVersionLocation(input: LocationInput): Promise<void> {
      const values = {
        localDigest: input.localDigest,
        remoteDigest: input.remoteDigest,
        status: input.status,
        executionId: input.executionId,
        detail: input.detail,
        updatedAt: sql`now()`,
      };
      await db
        .insert(modelVersionLocations)
        .values({ ...values, projectId: input.projectId, modelName: input.model, tag: input.tag, remoteRegistryId: input.remoteRegistryId, remoteRepository: input.remoteRepository })
        .onConflictDoUpdate({
          target: [modelVersionLocations.projectId, modelVersionLocations.modelName, modelVersionLocations.tag, modelVersionLocations.remoteRegistryId, modelVersionLocations.remoteRepository],
          set: values,
        });
    },

    /** The live tags of a project's models, with their digests: what a sync compares the remote's with. */
    async localVersions(projectId: string, modelNames: string[]): Promise<{ model: string; tag: string; digest: string }[]> {
      if (modelNames.length === 0) return [];
      return db
        .select({ model: models.name, tag: tags.name, digest: images.digest })
        .from(tags)
        .innerJoin(images, eq(images.id, tags.imageId))
        .innerJoin(models, eq(models.id, images.modelId))
        .where(and(eq(models.projectId, projectId), inArray(models.name, modelNames), eq(models.isArchived, false), eq(images.isArchived, false), eq(tags.isArchived, false)));
    },

    /** The recorded location of a version on a remote repository, if any. */
    async findVersionLocation(input: { projectId: string; model: string; tag: string; remoteRegistryId: string; remoteRepository: string }) {
      const [row] = await db
        .select({ status: modelVersionLocations.status, remoteDigest: modelVersionLocations.remoteDigest, executionId: modelVersionLocations.executionId })
        .from(modelVersionLocations)
        .where(
          and(
            eq(modelVersionLocations.projectId, input.projectId),
            eq(modelVersionLocations.modelName, input.model),
            eq(modelVersionLocations.tag, input.tag),
            eq(modelVersionLocations.remoteRegistryId, input.remoteRegistryId),
            eq(modelVersionLocations.remoteRepository, input.remoteRepository),
          ),
        )
        .orderBy(desc(modelVersionLocations.updatedAt))
        .limit(1);
      return row ?? null;
    },
  };
}
