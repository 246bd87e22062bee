import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { AuthDeps } from '../../api/auth/middleware';
import { createPullRouter } from '../../api/routes/pull';
import type { PullService } from '../../registry-proxy';
import type { Db } from '../../db/client';

describe('the pull endpoint', () => {
  it('answers an error it did not expect in the OCI format (500 UNKNOWN), not problem+json', async () => {
    // A database whose every use is a bug: the pull token lookup is the first thing a pull does.
    const db = new Proxy({}, { get: () => { throw new TypeError('a bug'); } }) as Db;
    const logged: unknown[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
    const router = createPullRouter({ auth: {} as AuthDeps, pull: {} as PullService, logger, db, metrics: { pullCache: { inc: () => undefined } } as never });
    const res = await router.request('/v2/acme/models/llama/manifests/1.0.0', { headers: { authorization: `Basic ${Buffer.from('ci:mrpt_x').toString('base64')}` } });
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ errors: [{ code: 'UNKNOWN', message: expect.stringMatching(/^internal error, request id/) }] });
    expect(logged).toEqual([expect.objectContaining({ msg: 'unhandled error', path: '/v2/acme/models/llama/manifests/1.0.0' })]);
  });
});
