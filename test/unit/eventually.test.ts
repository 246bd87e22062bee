import { describe, expect, it } from 'vitest';
import { eventually, expectNever } from '../support/eventually';

describe('eventually and expectNever', () => {
  it('resolves with the first value that is not false, null or undefined', async () => {
    let n = 0;
    await expect(eventually('the third probe', () => (++n >= 3 ? { n } : false), { intervalMs: 1 })).resolves.toEqual({ n: 3 });
  });

  it('names what it waited for and the last value or error when it times out', async () => {
    await expect(eventually('the count to reach 10', () => false, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/timed out after 30 ms waiting for the count to reach 10; last value: false/);
    await expect(eventually('a row', () => { throw new Error('no such row'); }, { timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(/waiting for a row; last error: no such row/);
  });

  it('passes when nothing happens for the whole time, probing at the end too', async () => {
    let probes = 0;
    await expectNever('a probe answering true', () => void probes++, { forMs: 30, intervalMs: 5 });
    expect(probes).toBeGreaterThan(2);
  });

  it('fails at once, naming what happened, when the probe answers something or throws', async () => {
    const started = Date.now();
    await expect(expectNever('a second event', () => ['e1', 'e2'], { forMs: 5000 })).rejects.toThrow(/a second event happened: value: \[ 'e1', 'e2' \]/);
    await expect(expectNever('a changed description', () => expect('theirs').toBe('ours'), { forMs: 5000 })).rejects.toThrow(/a changed description happened: error: /);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
