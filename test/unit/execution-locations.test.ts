import { describe, expect, it } from 'vitest';
import { locationsOfTask, taskRepository } from '../../lib/execution-locations';

const A = 'sha256:aaa';
const B = 'sha256:bbb';

describe('taskRepository', () => {
  it.each([
    ['proj/llama [2 item(s) in total]', 'proj/llama'],
    ['ns/deep/model [1 item(s) in total]', 'ns/deep/model'],
    ['proj/llama', 'proj/llama'],
    ['', null],
    [undefined, null],
  ])('%s → %s', (resource, repository) => expect(taskRepository(resource)).toBe(repository));
});

describe('locationsOfTask', () => {
  const base = { taskDetail: 'task 7 Failed' };
  it.each([
    {
      name: 'push copied: present with both digests',
      input: { direction: 'push' as const, succeeded: true, local: [{ tag: '1.0.0', digest: A }], remote: [{ tag: '1.0.0', digest: A }] },
      out: [{ tag: '1.0.0', localDigest: A, remoteDigest: A, status: 'present', detail: null }],
    },
    {
      name: 'push: a tag outside the filter is not the task’s',
      input: { direction: 'push' as const, succeeded: true, tagFilter: '1.*', local: [{ tag: '1.0.0', digest: A }, { tag: '2.0.0', digest: B }], remote: [{ tag: '1.0.0', digest: A }] },
      out: [{ tag: '1.0.0', localDigest: A, remoteDigest: A, status: 'present', detail: null }],
    },
    {
      name: 'push succeeded but the remote keeps another digest: mismatch',
      input: { direction: 'push' as const, succeeded: true, local: [{ tag: '1.0.0', digest: A }], remote: [{ tag: '1.0.0', digest: B }] },
      out: [{ tag: '1.0.0', localDigest: A, remoteDigest: B, status: 'mismatch' }],
    },
    {
      name: 'push succeeded, tag pushed after the execution read its source: left out',
      input: { direction: 'push' as const, succeeded: true, local: [{ tag: '1.0.1', digest: A }], remote: [] },
      out: [],
    },
    {
      name: 'push failed: what is not there is failed, what is there is present',
      input: { direction: 'push' as const, succeeded: false, local: [{ tag: '1.0.0', digest: A }, { tag: '1.0.1', digest: B }], remote: [{ tag: '1.0.0', digest: A }] },
      out: [
        { tag: '1.0.0', status: 'present' },
        { tag: '1.0.1', localDigest: B, remoteDigest: null, status: 'failed', detail: 'task 7 Failed' },
      ],
    },
    {
      name: 'pull copied, not yet in the catalogue: present with the copied digest',
      input: { direction: 'pull' as const, succeeded: true, local: [], remote: [{ tag: '3.0.0', digest: B }] },
      out: [{ tag: '3.0.0', localDigest: B, remoteDigest: B, status: 'present', detail: null }],
    },
    {
      name: 'pull: local keeps another digest: mismatch with both sides right',
      input: { direction: 'pull' as const, succeeded: true, local: [{ tag: '3.0.0', digest: A }], remote: [{ tag: '3.0.0', digest: B }] },
      out: [{ tag: '3.0.0', localDigest: A, remoteDigest: B, status: 'mismatch' }],
    },
    {
      name: 'pull failed: failed with the remote digest',
      input: { direction: 'pull' as const, succeeded: false, local: [], remote: [{ tag: '3.0.0', digest: B }] },
      out: [{ tag: '3.0.0', localDigest: null, remoteDigest: B, status: 'failed' }],
    },
  ])('$name', ({ input, out }) => {
    const got = locationsOfTask({ ...base, ...input });
    expect(got).toHaveLength(out.length);
    got.forEach((g, i) => expect(g).toMatchObject(out[i]!));
  });
});
