import type { Context, Hono } from 'hono';
import type { HarborSchemas } from '../../../activities/harbor';
import { badRequest, conflict, type EmulatorContext, notFound, operation, paged } from '../context';
import { GcStopped, runGc } from '../gc';
import type { GcExecutionState } from '../state';

type ScheduleRequest = { schedule?: { type?: string; cron?: string }; parameters?: Record<string, unknown> };

/** Harbor's GC history row (src/server/v2.0/handler/gc.go): parameters as a JSON string, the trigger as kind. */
const toHistory = (e: GcExecutionState): HarborSchemas['GCHistory'] => ({
  id: e.id,
  job_name: 'GARBAGE_COLLECTION',
  job_kind: e.trigger,
  job_parameters: JSON.stringify(e.parameters),
  // Harbor title-cases the trigger here (ToSwagger), as the definition's enum wants.
  schedule: { type: e.trigger === 'MANUAL' ? 'Manual' : 'Schedule' },
  job_status: e.status,
  deleted: false,
  creation_time: e.creationTime,
  update_time: e.updateTime,
});

/**
 * Garbage collection: history, one execution, its log, the schedule (`Manual` runs it now, `None`
 * removes the schedule, a periodic type is kept and never fires) and stop. gc.ts does the work.
 */
export function gcRoutes(app: Hono, ctx: EmulatorContext) {
  const stops = new Set<number>();

  /** Harbor's `kick`: the parameters it accepts, `workers` 1–10. */
  const parametersOf = (req: ScheduleRequest) => {
    const parameters = { ...req.parameters };
    const workers = parameters.workers ?? 1;
    if (!Number.isInteger(workers) || (workers as number) < 1 || (workers as number) > 10) {
      throw badRequest(`Error: Invalid number of workers:${String(workers)}. Workers must be greater than 0 and less than or equal to 10.`);
    }
    return { ...parameters, time_window: ctx.gcTimeWindowHours };
  };

  const start = (parameters: Record<string, unknown>): number => {
    if ([...ctx.state.gcExecutions.values()].some((e) => e.status === 'Running' || e.status === 'Pending')) throw conflict('a previous GC job is running');
    const id = ctx.state.nextId();
    const stamp = ctx.clock.now();
    const execution: GcExecutionState = { id, trigger: 'MANUAL', status: 'Running', parameters, creationTime: stamp, updateTime: stamp, log: [] };
    ctx.state.gcExecutions.set(id, execution);
    ctx.jobs.run(async () => {
      try {
        await runGc(ctx, execution, { dryRun: parameters.dry_run === true, deleteUntagged: parameters.delete_untagged === true, workers: Number(parameters.workers ?? 1) }, () => stops.has(id));
        execution.status = 'Success';
      } catch (err) {
        execution.status = err instanceof GcStopped ? 'Stopped' : 'Error';
        if (!(err instanceof GcStopped)) execution.log.push(`${ctx.clock.now()} [ERROR] [gc] ${(err as Error).message}`);
      } finally {
        execution.updateTime = ctx.clock.now();
        stops.delete(id);
      }
    });
    return id;
  };

  /** POST and PUT /system/gc/schedule alike: Harbor's `kick`. */
  const kick = async (c: Context): Promise<number | undefined> => {
    const req = (await c.req.json()) as ScheduleRequest;
    const type = req.schedule?.type;
    if (type === 'Manual') return start(parametersOf(req));
    if (type === 'None') {
      ctx.state.gcSchedule = undefined;
      return undefined;
    }
    if (type === 'Hourly' || type === 'Daily' || type === 'Weekly' || type === 'Custom' || type === 'Schedule') {
      if (!req.schedule?.cron || req.schedule.cron.trim().split(/\s+/).length !== 6) throw badRequest(`invalid cron string for scheduled gc: ${req.schedule?.cron}`);
      const stamp = ctx.clock.now();
      ctx.state.gcSchedule = { id: ctx.state.nextId(), type, cron: req.schedule.cron, parameters: parametersOf(req), creationTime: stamp, updateTime: stamp };
      return undefined;
    }
    throw badRequest(`invalid schedule type ${type}`);
  };

  app.get('/system/gc', operation(ctx, 'getGCHistory', (c) => paged(c, [...ctx.state.gcExecutions.values()].sort((a, b) => b.id - a.id).map(toHistory))));

  app.get('/system/gc/schedule', operation(ctx, 'getGCSchedule', () => {
    const s = ctx.state.gcSchedule;
    // Harbor answers 200 with no body when there is no schedule.
    if (!s) return { status: 200 };
    // As GCSchedule.ToSwagger: no job name, the cron as kind. Scheduled runs never fire in the emulator.
    return { status: 200, body: { id: s.id, job_name: '', job_kind: s.cron, job_parameters: JSON.stringify(s.parameters), job_status: 'Scheduled', deleted: false, schedule: { type: s.type, cron: s.cron }, creation_time: s.creationTime, update_time: s.updateTime } };
  }));

  app.post('/system/gc/schedule', operation(ctx, 'createGCSchedule', async (c) => {
    const id = await kick(c);
    return { status: 201, headers: id === undefined ? undefined : { location: `/api/v2.0/system/gc/${id}` } };
  }));

  app.put('/system/gc/schedule', operation(ctx, 'updateGCSchedule', async (c) => {
    await kick(c);
    return { status: 200 };
  }));

  const executionOf = (c: Context) => {
    const e = ctx.state.gcExecutions.get(Number(c.req.param('gc_id')));
    if (!e) throw notFound(`garbage collection ${c.req.param('gc_id')} not found`);
    return e;
  };

  app.get('/system/gc/:gc_id', operation(ctx, 'getGC', (c) => ({ status: 200, body: toHistory(executionOf(c)) })));

  app.get('/system/gc/:gc_id/log', operation(ctx, 'getGCLog', (c) => ({ status: 200, body: executionOf(c).log.join('\n'), headers: { 'content-type': 'text/plain' } })));

  app.put('/system/gc/:gc_id', operation(ctx, 'stopGC', (c) => {
    const e = executionOf(c);
    if (e.status === 'Running') stops.add(e.id);
    return { status: 200 };
  }));
}
