import { ProblemError } from '../problem';

/**
 * Runs `work`, a 400's fields renamed from REST's to what the request message calls them, where
 * the same name means another thing in the two: REST's body `registry` of a replication rule or
 * promotion is the remote registry (`remote_registry`), the request's `registry` the Harbor instance;
 * or where REST's body is a list the message holds in a field (a function of the field then).
 */
export async function renamingFields<T>(renames: Record<string, string> | ((field: string) => string), work: () => T | Promise<T>): Promise<T> {
  const rename = typeof renames === 'function' ? renames : (field: string) => renames[field] ?? field;
  try {
    return await work();
  } catch (err) {
    if (!(err instanceof ProblemError) || !err.problem.errors?.some((e) => rename(e.field) !== e.field)) throw err;
    const errors = err.problem.errors.map((e) => ({ ...e, field: rename(e.field) }));
    throw new ProblemError({ ...err.problem, errors, detail: errors.map((e) => `${e.field}: ${e.message}`).join('; ') }, err.headers);
  }
}
