import { randomSecret, type SecretBox } from '../../lib/secrets';
import { isNotFound } from './errors';
import type { HarborInstances } from './instances';

/** The one webhook policy the service owns in each managed project. */
export const WEBHOOK_POLICY_NAME = 'model-registry';
export const WEBHOOK_EVENT_TYPES = [
  'PUSH_ARTIFACT',
  'PULL_ARTIFACT',
  'DELETE_ARTIFACT',
  'SCANNING_COMPLETED',
  'SCANNING_FAILED',
  'SCANNING_STOPPED',
  'QUOTA_EXCEED',
  'QUOTA_WARNING',
  'REPLICATION',
  'TAG_RETENTION',
];

/** The project's webhook policy that delivers Harbor's events to this service's receiver. */
export function createHarborWebhookPolicyActivities(deps: { harbor: HarborInstances; secrets: SecretBox; webhookReceiverUrl: string }) {
  const harbor = (registry: string) => deps.harbor.get(registry);

  return {
    /**
     * Creates or resets the service's webhook policy with a fresh secret sent as `Authorization`.
     * Returns the secret sealed: it never enters workflow history in clear.
     */
    async ensureWebhookPolicy(registry: string, name: string): Promise<{ policyId: number; sealedSecret: string }> {
      const client = harbor(registry);
      const secret = randomSecret();
      const policy = {
        name: WEBHOOK_POLICY_NAME,
        description: 'Model Registry catalogue updates',
        enabled: true,
        event_types: WEBHOOK_EVENT_TYPES,
        targets: [{ type: 'http', address: deps.webhookReceiverUrl, auth_header: `Bearer ${secret}`, skip_cert_verify: false, payload_format: 'Default' as const }],
      };
      const existing = (await client.webhooks.list(name)).find((p) => p.name === WEBHOOK_POLICY_NAME);
      let policyId: number;
      if (existing) {
        await client.webhooks.update(name, existing.id!, { ...policy, id: existing.id });
        policyId = existing.id!;
      } else {
        policyId = await client.webhooks.create(name, policy);
      }
      return { policyId, sealedSecret: deps.secrets.seal(secret) };
    },

    async deleteWebhookPolicy(registry: string, name: string): Promise<void> {
      const client = harbor(registry);
      try {
        for (const policy of (await client.webhooks.list(name)).filter((p) => p.name === WEBHOOK_POLICY_NAME)) await client.webhooks.delete(name, policy.id!);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
  };
}
