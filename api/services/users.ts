import type { z } from '@hono/zod-openapi';
import { TimeoutFailure, WorkflowFailedError, type Workflow, type WorkflowResultType } from '@temporalio/client';
import { OperationKind, TenantName } from '../../lib/search-attributes';
import { userWorkflowId } from '../../lib/workflow-ids';
import { userCreateWorkflow, userListWorkflow, userReadWorkflow, userRemoveWorkflow } from '../../workflows';
import type { Actor } from '../../workflows/actor';
import { requireKeycloak } from '../keycloak-guard';
import { failureToProblem, type MutationDeps } from '../operations';
import { decodeCursor, encodeCursor } from '../pagination';
import { invalidCursor, problemBody, ProblemError } from '../problem';
import type { PageQuery } from '../schemas/common';
import type { UserCreateSchema } from '../schemas/users';
import { mutate } from './mutation';

/**
 * How long a read workflow may take before the answer is 504 `timeout`: well inside the request's
 * Temporal deadline (MUTATION_WAIT_MS + 10 s, api/unavailable.ts), or that deadline would end the wait
 * first and blame Temporal for a Keycloak or a worker that does not answer.
 */
export const READ_TIMEOUT_SECONDS = 10;
/** The read's own Temporal deadline (it replaces the request's): past the workflow's timeout, for its answer to arrive. */
const READ_DEADLINE_MS = (READ_TIMEOUT_SECONDS + 3) * 1000;

/** A tenant's Keycloak users, for every transport: each read and change a workflow (Keycloak is only called from activities). */
export function createUserService(deps: { mutations: MutationDeps; keycloak: boolean }) {
  const searchAttributes = (tenant: string, kind: string) => [
    { key: TenantName, value: tenant },
    { key: OperationKind, value: kind },
  ];

  /** Runs a read workflow; the same read joins a running one. A failure is thrown as its problem. */
  async function read<W extends typeof userListWorkflow | typeof userReadWorkflow>(workflowFn: W, workflowId: string, tenant: string, input: Parameters<W>[0]): Promise<WorkflowResultType<W>> {
    try {
      // Run as any workflow (TypeScript cannot resolve the options' `args` for a generic W); `input` is W's.
      const workflow: Workflow = workflowFn;
      const { client } = deps.mutations;
      return (await client.withDeadline(Date.now() + READ_DEADLINE_MS, () => client.workflow.execute(workflow, {
        workflowId,
        taskQueue: deps.mutations.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        workflowExecutionTimeout: `${READ_TIMEOUT_SECONDS} seconds`,
        typedSearchAttributes: searchAttributes(tenant, 'tenant.users.read'),
      }))) as WorkflowResultType<W>;
    } catch (err) {
      // No worker answered in time (Keycloak or the workers are down): unavailable, not an internal error.
      if (err instanceof WorkflowFailedError && err.cause instanceof TimeoutFailure) {
        throw new ProblemError(problemBody(504, 'timeout', 'Keycloak read timed out', `the read did not finish within ${READ_TIMEOUT_SECONDS} s`));
      }
      const problem = failureToProblem(err);
      if (problem.status === 500) throw err;
      throw new ProblemError(problem);
    }
  }

  return {
    async list(tenant: string, q: z.infer<typeof PageQuery>) {
      requireKeycloak(deps.keycloak);
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      if (after === null) throw new ProblemError(invalidCursor());
      const page = await read(userListWorkflow, `users-read:${tenant}?limit=${q.limit}&after=${q.cursor ?? ''}`, tenant, { tenant, limit: q.limit, after });
      const last = page.items.at(-1);
      return { items: page.items, nextCursor: page.more && last ? encodeCursor(last.username) : null };
    },

    get(tenant: string, username: string) {
      requireKeycloak(deps.keycloak);
      return read(userReadWorkflow, `user-read:${tenant}/${username}`, tenant, { tenant, username });
    },

    /** No password: Keycloak asks the user to set one (and verify the email) at the first sign-in. */
    create(tenant: string, body: z.infer<typeof UserCreateSchema>, actor: Actor, idempotencyKey: string | undefined) {
      requireKeycloak(deps.keycloak);
      const { role, ...user } = body;
      return mutate(
        deps.mutations,
        userCreateWorkflow,
        { workflowId: userWorkflowId(user.username), args: [{ tenant, user, role, actor }], idempotencyKey, searchAttributes: searchAttributes(tenant, 'tenant.users.create') },
        (created) => created,
      );
    },

    /** Out of every group of the tenant; the account goes when this service created it and nothing else holds it. */
    remove(tenant: string, username: string, actor: Actor, idempotencyKey: string | undefined) {
      requireKeycloak(deps.keycloak);
      return mutate(
        deps.mutations,
        userRemoveWorkflow,
        { workflowId: userWorkflowId(username), args: [{ tenant, username, actor }], idempotencyKey, searchAttributes: searchAttributes(tenant, 'tenant.users.remove') },
        (removal) => removal,
      );
    },
  };
}
export type UserService = ReturnType<typeof createUserService>;
