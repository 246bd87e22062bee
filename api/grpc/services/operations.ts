import type { ServiceImpl } from '@connectrpc/connect';
import type { OperationService } from '../../../gen/modelregistry/v1/operations_pb';
import type { Services } from '../../services';
import { operationMessage } from '../convert';
import { pause } from './pause';

/** How often WatchOperation looks at a running operation. */
const WATCH_POLL_MS = 500;
/**
 * How long one look may wait for Temporal: the stream runs outside the RPC's deadlines (which bound
 * its start), and a Temporal that hangs ends it with UNAVAILABLE instead of holding it open.
 */
const WATCH_LOOK_MS = 10_000;

/** OperationService over gRPC: GetOperation as REST's GET /operations/{id}; WatchOperation streams its changes until done. */
export function operationRpcs(services: Services): ServiceImpl<typeof OperationService> {
  return {
    async getOperation(req) {
      return operationMessage(await services.operations.get(req.id));
    },
    async *watchOperation(req, ctx) {
      let last: string | undefined;
      for (;;) {
        const view = await services.operations.get(req.id, { withinMs: WATCH_LOOK_MS });
        // Progress is the operation's status: a message for each change, the first at once.
        if (view.status !== last) yield operationMessage(view);
        last = view.status;
        if (view.status !== 'running') return;
        if (!(await pause(WATCH_POLL_MS, ctx.signal))) return;
      }
    },
  };
}
