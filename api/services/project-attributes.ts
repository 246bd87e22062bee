import type { SearchAttributePair } from '@temporalio/common';
import type { ProjectLookup } from '../../db/queries/project-lookup';
import { ProjectName, TenantName } from '../../lib/search-attributes';

/**
 * The search attributes of an operation on a project, its tenant among them: an operation is read
 * under its tenant, and a project's name may later be another tenant's (archived, registered again).
 */
export async function projectAttributes(projects: ProjectLookup, registry: string, project: string, rest: SearchAttributePair[]): Promise<SearchAttributePair[]> {
  const found = await projects.find(registry, project);
  return [{ key: ProjectName, value: project }, ...(found ? [{ key: TenantName, value: found.tenantId }] : []), ...rest];
}
