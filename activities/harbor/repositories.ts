import type { HarborInstances } from './instances';

/** Harbor's own copy of what users say about a model: the repository description. */
export function createHarborRepositoryActivities(deps: { harbor: HarborInstances }) {
  return {
    async setHarborRepositoryDescription(registry: string, project: string, model: string, description: string): Promise<void> {
      await deps.harbor.get(registry).repositories.updateDescription(project, model, description);
    },
  };
}
