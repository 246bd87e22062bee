import { ProblemError, unknownRegistry } from './problem';

/**
 * Registry resolution, written once: the managed Harbor instance a request names, the first one
 * when it names none; any other answers 400 (thrown, the app answers it). The auth middleware
 * asks the same of a project route's `registry` before the handler runs.
 */
export function managedRegistry(registries: readonly string[], requested: string | undefined, field = 'query.registry'): string {
  const registry = requested ?? registries[0];
  if (registry === undefined || !registries.includes(registry)) throw new ProblemError(unknownRegistry(registries, requested, field));
  return registry;
}
