import { proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ModelUpdate } from '../activities/db/model-metadata';
import { notFound } from '../lib/failure-types';
import { profiles } from './activity-options';

const harbor = proxyActivities<Activities>(profiles.harbor);
const db = proxyActivities<Activities>(profiles.database);
const events = proxyActivities<Activities>(profiles.events);

/**
 * A user's change of a model (description, labels, custom metadata). Harbor holds the
 * description too, so it is written there first: if Harbor refuses for good nothing changed here;
 * the catalogue write that follows is retried until it lands.
 */
export async function modelUpdateWorkflow(input: ModelUpdate): Promise<{ modelId: string }> {
  if (!(await db.modelExists(input.registry, input.project, input.model))) {
    throw notFound(`no model "${input.project}/${input.model}" in ${input.registry}`);
  }
  if (input.description !== undefined) await harbor.setHarborRepositoryDescription(input.registry, input.project, input.model, input.description);
  const updated = await db.applyModelUpdate(input);
  await events.publishEvent({
    id: uuid4(),
    type: 'modelregistry.model.updated',
    subject: `models/${input.registry}/${input.project}/${input.model}`,
    time: new Date().toISOString(),
    data: { ...input },
  });
  return updated;
}
