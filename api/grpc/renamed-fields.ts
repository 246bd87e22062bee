import { ProblemError } from '../problem';

/**
 * Runs `work`, a 400's fields renamed from REST's to what the request message calls them, where
 * the same name means another thing in the two: REST's body `registry` of a replication rule or
 * promotion is the remote registry (`remote_registry`), the request's `registry` the Harbor instance.
 */
export async function renamingFields<T>(renames: Record<string, string>, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof ProblemError) || !err.problem.errors?.some((e) => e.field in renames)) throw err;
    const errors = err.problem.errors.map((e) => ({ ...e, field: renames[e.field] ?? e.field }));
    throw new ProblemError({ ...err.problem, errors, detail: errors.map((e) => `${e.field}: ${e.message}`).join('; ') }, err.headers);
  }
}
