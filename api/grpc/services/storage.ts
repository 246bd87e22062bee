import type { ServiceImpl } from '@connectrpc/connect';
import { GarbageCollectionSchema, StartGarbageCollectionRequestSchema, type StorageService } from '../../../gen/modelregistry/v1/storage_pb';
import { StorageReclaimParams, StorageReclaimRequestSchema } from '../../schemas/storage-reclaim';
import type { Services } from '../../services';
import { operationMessage, parseAs, requestJson, toMessage } from '../convert';
import { actorOf, idempotencyKeyOf } from '../context';

/** StorageService over gRPC: the storage reclaim service layer; a reclaim is answered as its operation, at once. */
export function storageRpcs(services: Services): ServiceImpl<typeof StorageService> {
  const reclaim = services.storageReclaim;
  return {
    async startGarbageCollection(req, ctx) {
      const body = parseAs(StorageReclaimRequestSchema, requestJson(StartGarbageCollectionRequestSchema, req));
      const { id } = await reclaim.start(body, actorOf(ctx), idempotencyKeyOf(ctx));
      return operationMessage(await services.operations.get(id));
    },
    async getGarbageCollection(req) {
      const { id } = parseAs(StorageReclaimParams, { id: req.id }, 'param');
      return toMessage(GarbageCollectionSchema, await reclaim.get(id));
    },
  };
}
