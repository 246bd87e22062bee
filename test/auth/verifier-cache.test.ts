import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, InvalidToken, type TokenVerifier } from '../../api/auth/verifier';
import { startLocalIssuer, type LocalIssuer } from '../../scripts/local-issuer';

/** The verifier remembers tokens that verified (by hash) until they expire; nothing else. */
describe('verified-token cache', () => {
  let issuer: LocalIssuer;
  let verifier: TokenVerifier;

  beforeAll(async () => {
    issuer = await startLocalIssuer();
    verifier = createTokenVerifier({ issuer: issuer.issuer, audience: issuer.audience, algorithms: ['RS256'], clockToleranceSeconds: 0, jwksCooldownMs: 0 });
  });
  afterAll(() => issuer?.stop());

  it('answers a token again with its own claims, and refuses it once it has expired', async () => {
    const token = await issuer.sign({ sub: 'short', preferred_username: 'short' }, { ttlSeconds: 2 });
    const other = await issuer.sign({ sub: 'long', preferred_username: 'long' }, { ttlSeconds: 600 });
    expect((await verifier.verify(token)).sub).toBe('short');
    expect((await verifier.verify(other)).sub).toBe('long');
    expect((await verifier.verify(token)).sub).toBe('short');
    await new Promise((r) => setTimeout(r, 2_200));
    await expect(verifier.verify(token)).rejects.toThrow(new InvalidToken('the token has expired'));
    expect((await verifier.verify(other)).sub).toBe('long');
  });

  it('never remembers a rejected token: a forged signature is refused every time', async () => {
    const token = await issuer.sign({ sub: 'forged' }, { ttlSeconds: 600 });
    const [header, payload] = token.split('.');
    const forged = `${header}.${payload}.${Buffer.from('not the signature').toString('base64url')}`;
    for (let i = 0; i < 2; i++) await expect(verifier.verify(forged)).rejects.toBeInstanceOf(InvalidToken);
    // A token for another audience after a good one with the same subject is refused too: the key is the whole token.
    await expect(verifier.verify(await issuer.sign({ sub: 'forged' }, { ttlSeconds: 600, audience: 'someone-else' }))).rejects.toBeInstanceOf(InvalidToken);
    expect((await verifier.verify(token)).sub).toBe('forged');
  });
});
