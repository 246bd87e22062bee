import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier, InvalidToken, IssuerUnavailable, type TokenVerifier } from '../../api/auth/verifier';
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
    // `exp` is to the second: a 2 s token signed late in a second was valid for little more than one.
    const token = await issuer.sign({ sub: 'short', preferred_username: 'short' }, { ttlSeconds: 4 });
    const other = await issuer.sign({ sub: 'long', preferred_username: 'long' }, { ttlSeconds: 600 });
    expect((await verifier.verify(token)).sub).toBe('short');
    expect((await verifier.verify(other)).sub).toBe('long');
    expect((await verifier.verify(token)).sub).toBe('short');
    await new Promise((r) => setTimeout(r, 4_200));
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

/** An issuer that accepts connections and never answers, as a hung Keycloak does. */
describe('a hung issuer', () => {
  it('makes the first verification fail as IssuerUnavailable within the key-fetch timeout, not after the request gave up', async () => {
    const sockets: Socket[] = [];
    const hung = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
    const { port } = hung.address() as { port: number };
    try {
      // No jwksUrl: the keys are found by discovery, the request that hangs first.
      const verifier = createTokenVerifier({ issuer: `http://127.0.0.1:${port}/realms/hung`, audience: 'x', algorithms: ['RS256'], clockToleranceSeconds: 0, jwksCooldownMs: 0 });
      const issuer = await startLocalIssuer();
      try {
        const token = await issuer.sign({ sub: 'someone' }, { ttlSeconds: 600 });
        await expect(verifier.verify(token)).rejects.toBeInstanceOf(IssuerUnavailable);
      } finally {
        await issuer.stop();
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => hung.close(resolve));
    }
  }, 15_000); // openid-client's own discovery timeout, 30 s, would fail this test; the verifier's is 5 s.
});

