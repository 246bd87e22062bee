import { ApplicationFailure, proxyActivities, uuid4 } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ModelUpdate } from '../activities/db/model-metadata';

const harbor = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '500 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 10 },
});
const local = proxyActivities<Activities>({ startToCloseTimeout: '1 minute', retry: { initialInterval: '200 milliseconds', maximumInterval: '10 seconds' } });

/**
 * A user's change of a model (description, labels, custom metadata). Harbor holds the
 * description too, so it is written there first: if Harbor refuses for good nothing changed here;
 * the catalogue write that follows is retried until it lands.
 */
export async function modelUpdateWorkflow(input: ModelUpdate): Promise<{ modelId: string }> {
  if (!(await local.modelExists(input.registry, input.project, input.model))) {
    throw ApplicationFailure.create({ type: 'NotFound', message: `no model "${input.project}/${input.model}" in ${input.registry}`, nonRetryable: true });
  }
  if (input.description !== undefined) await harbor.setHarborRepositoryDescription(input.registry, input.project, input.model, input.description);
  const updated = await local.applyModelUpdate(input);
  await local.publishEvent({
    id: uuid4(),
    type: 'modelregistry.model.updated',
    subject: `models/${input.registry}/${input.project}/${input.model}`,
    time: new Date().toISOString(),
    data: { ...input },
  });
  return updated;
}
