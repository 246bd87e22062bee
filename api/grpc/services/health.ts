import { create } from '@bufbuild/protobuf';
import { Code, ConnectError, type ServiceImpl } from '@connectrpc/connect';
import type { Client } from '@temporalio/client';
import type { Db } from '../../../db/client';
import { HealthCheckResponse_ServingStatus as Serving, HealthCheckResponseSchema, type Health } from '../../../gen/grpc/health/v1/health_pb';
import { readiness } from '../../services/health';
import { pause } from './pause';

/** How often Watch looks again. */
const WATCH_EVERY_MS = 5000;

/**
 * grpc.health.v1: the server (service "") and each served service are SERVING when the database and
 * Temporal answer, as /readyz; NOT_SERVING otherwise; an unknown service NOT_FOUND (Check) or
 * SERVICE_UNKNOWN (Watch).
 */
export function healthRpcs(deps: { db: Db; client: Client; services: readonly string[] }): ServiceImpl<typeof Health> {
  const status = async (service: string) => {
    if (service !== '' && !deps.services.includes(service)) return Serving.SERVICE_UNKNOWN;
    return (await readiness(deps)).ready ? Serving.SERVING : Serving.NOT_SERVING;
  };
  return {
    async check(req) {
      const s = await status(req.service);
      if (s === Serving.SERVICE_UNKNOWN) throw new ConnectError(`unknown service "${req.service}"`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status: s });
    },
    async *watch(req, ctx) {
      let last: Serving | undefined;
      for (;;) {
        const s = await status(req.service);
        if (s !== last) yield create(HealthCheckResponseSchema, { status: s });
        last = s;
        if (!(await pause(WATCH_EVERY_MS, ctx.signal))) return;
      }
    },
  };
}
