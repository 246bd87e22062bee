import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { CheckpointRecord } from '../db/queries/checkpoints';
import type { CheckpointCreate, CheckpointPatch, VersionRef } from '../lib/checkpoints';
import { profiles } from './activity-options';

const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

const event = (type: string, ref: VersionRef, checkpoint: CheckpointRecord) => ({
  id: uuid4(),
  type,
  subject: `models/${ref.registry}/${ref.project}/${ref.model}/versions/${ref.tag}/checkpoints/${checkpoint.name}`,
  time: new Date().toISOString(),
  data: { ...ref, checkpoint },
});

/** Records a checkpoint of a model version (the files stay where the URI says). */
export async function checkpointCreateWorkflow(ref: VersionRef, input: CheckpointCreate): Promise<CheckpointRecord> {
  const checkpoint = await db.createCheckpoint(ref, input);
  await events.publishEvent(event('modelregistry.checkpoint.created', ref, checkpoint));
  return checkpoint;
}

export async function checkpointUpdateWorkflow(ref: VersionRef, name: string, patch: CheckpointPatch): Promise<CheckpointRecord> {
  const checkpoint = await db.updateCheckpoint(ref, name, patch);
  await events.publishEvent(event('modelregistry.checkpoint.updated', ref, checkpoint));
  return checkpoint;
}

/** Archives the record; the files themselves are not the registry's to delete. */
export async function checkpointDeleteWorkflow(ref: VersionRef, name: string): Promise<CheckpointRecord> {
  const checkpoint = await db.archiveCheckpoint(ref, name);
  await events.publishEvent(event('modelregistry.checkpoint.deleted', ref, checkpoint));
  return checkpoint;
}
