import { describe, expect, it } from 'vitest';
import { parseHarborEvent } from '../../lib/harbor-events';

const defaultPush = {
  type: 'PUSH_ARTIFACT',
  occur_at: 1755162475,
  operator: 'admin',
  event_data: {
    resources: [{ digest: 'sha256:abc', tag: '1.2.0', resource_url: 'harbor.example/acme/llama-ft:1.2.0' }],
    repository: { date_created: 1677053165, name: 'llama-ft', namespace: 'acme', repo_full_name: 'acme/llama-ft', repo_type: 'private' },
  },
};

describe('Harbor webhook payloads', () => {
  it('normalise the Default format (the seed\'s DELETE_ARTIFACT shape included)', () => {
    const result = parseHarborEvent(defaultPush);
    expect(result).toEqual({
      ok: true,
      event: expect.objectContaining({ format: 'Default', type: 'PUSH_ARTIFACT', known: true, occurAt: 1755162475, operator: 'admin', namespace: 'acme', repository: 'llama-ft', resources: [{ digest: 'sha256:abc', tag: '1.2.0', scanOverview: null }] }),
    });
    const deleted = parseHarborEvent({ ...defaultPush, type: 'DELETE_ARTIFACT', event_data: { ...defaultPush.event_data, resources: [{ digest: 'sha256:abc', tag: '', resource_url: 'x' }] } });
    expect(deleted.ok && deleted.event.type).toBe('DELETE_ARTIFACT');
  });

  it('normalise CloudEvents to the same event and the same dedupe key', () => {
    const cloud = parseHarborEvent({ specversion: '1.0', id: 'f7c7a0e4', requestid: 'r', source: '/projects/1/webhook/policies/2', type: 'harbor.artifact.pushed', time: '2025-08-14T09:07:55Z', operator: 'admin', datacontenttype: 'application/json', data: defaultPush.event_data });
    const plain = parseHarborEvent(defaultPush);
    expect(cloud.ok && plain.ok).toBe(true);
    if (!cloud.ok || !plain.ok) return;
    expect(cloud.event).toMatchObject({ format: 'CloudEvents', type: 'PUSH_ARTIFACT', occurAt: 1755162475, repository: 'llama-ft' });
    expect(cloud.event.dedupeKey).toBe(plain.event.dedupeKey);
  });

  it('give different keys to different events and the same key to a repeated delivery', () => {
    const a = parseHarborEvent(defaultPush);
    const again = parseHarborEvent(structuredClone(defaultPush));
    const later = parseHarborEvent({ ...defaultPush, occur_at: 1755162476 });
    if (!a.ok || !again.ok || !later.ok) throw new Error('parse failed');
    expect(again.event.dedupeKey).toBe(a.event.dedupeKey);
    expect(later.event.dedupeKey).not.toBe(a.event.dedupeKey);
  });

  // Harbor's replication payload has no repository: both sides, the local one without a registry_name,
  // their namespaces crosswise (the remote side the task's source, the local side its destination).
  const replication = (direction: 'push' | 'pull', artifact = 'llama:1.0.0') => {
    const local = { registry_type: 'harbor', endpoint: 'https://harbor.example', namespace: direction === 'push' ? 'mirror' : 'acme' };
    const remote = { registry_name: 'dr-site', registry_type: 'harbor', endpoint: 'https://dr.example', namespace: direction === 'push' ? 'acme' : 'mirror' };
    return {
      type: 'REPLICATION',
      occur_at: 1755162500,
      operator: 'MANUAL',
      event_data: {
        replication: {
          harbor_hostname: 'harbor.example',
          job_status: 'Success',
          trigger_type: 'MANUAL',
          src_resource: direction === 'push' ? local : remote,
          dest_resource: direction === 'push' ? remote : local,
          successful_artifact: [{ type: 'image', status: 'Success', name_tag: artifact }],
        },
      },
    };
  };

  it('find the project of a replication, the local end of the copy, whichever way it copies, and of a retention', () => {
    for (const direction of ['push', 'pull'] as const) {
      const result = parseHarborEvent(replication(direction));
      expect(result.ok && result.event).toMatchObject({ type: 'REPLICATION', namespace: 'acme', repository: null });
    }
    const retention = parseHarborEvent({ type: 'TAG_RETENTION', occur_at: 1, operator: 'admin', event_data: { retention: { total: 3, retained: 2, project_name: 'acme', result: 'SUCCESS' } } });
    expect(retention.ok && retention.event.namespace).toBe('acme');
    expect(parseHarborEvent({ type: 'REPLICATION', occur_at: 1, event_data: {} })).toMatchObject({ ok: true, event: { namespace: null } });
  });

  it('tell apart two replications of the same second by what they copied', () => {
    const a = parseHarborEvent(replication('push', 'llama:1.0.0'));
    const b = parseHarborEvent(replication('push', 'llama:1.1.0'));
    const again = parseHarborEvent(replication('push', 'llama:1.0.0'));
    if (!a.ok || !b.ok || !again.ok) throw new Error('parse failed');
    expect(b.event.dedupeKey).not.toBe(a.event.dedupeKey);
    expect(again.event.dedupeKey).toBe(a.event.dedupeKey);
  });

  it('keep unknown types, flagged', () => {
    const result = parseHarborEvent({ ...defaultPush, type: 'ARTIFACT_LABELED' });
    expect(result.ok && result.event.known).toBe(false);
  });

  it.each([
    [null, 'body'],
    [{ occur_at: 1, event_data: {} }, 'body.type'],
    [{ type: 'PUSH_ARTIFACT', occur_at: 'yesterday', event_data: {} }, 'body.occur_at'],
    [{ specversion: '1.0', type: 'harbor.artifact.pushed', data: {} }, 'body.id'],
  ])('report what is wrong with %j', (body, field) => {
    const result = parseHarborEvent(body);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((i) => i.field)).toContain(field);
  });
});
