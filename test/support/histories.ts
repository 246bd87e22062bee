import type { TestStack } from './stack';
import { eventually } from './eventually';

/**
 * A JSON.stringify replacer showing workflow payloads as text: a fetched history's payload bytes are
 * Uint8Arrays or, once serialised, base64 `data` strings; both are decoded, so that a secret in one shows.
 */
export const decodedPayloads = (key: string, v: unknown) =>
  v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : key === 'data' && typeof v === 'string' ? Buffer.from(v, 'base64').toString('utf8') : v;

/** Workflow histories as text with their payloads decoded. */
export const historyText = (histories: unknown) => JSON.stringify(histories, decodedPayloads);

/** The histories of every run of a workflow id (at least `runs` of them), payloads decoded. */
export async function historiesText(stack: TestStack, workflowId: string, runs: number): Promise<string> {
  const runIds = await eventually(`${runs} runs of ${workflowId}`, async () => {
    const ids: string[] = [];
    for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) ids.push(wf.runId);
    return ids.length >= runs && ids;
  });
  return historyText(await Promise.all(runIds.map((runId) => stack.client.workflow.getHandle(workflowId, runId).fetchHistory())));
}
