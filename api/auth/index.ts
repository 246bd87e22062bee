import type { Config } from '../../lib/config';
import type { Logger } from '../../lib/logger';
import type { AuthDeps } from './middleware';
import { createEmbeddedPdp, loadPolicy } from './pdp';
import { createRemotePdp } from './remote-pdp';
import { createTokenVerifier } from './verifier';

/** Token verification and the PDP from configuration: a remote PDP when PBAC_URL is set, else the policy file. */
export function authFromConfig(config: Config['auth'], logger: Logger): AuthDeps {
  return {
    audience: config.audience,
    verifier: createTokenVerifier({
      issuer: config.issuer,
      audience: config.audience,
      jwksUrl: config.jwksUrl,
      algorithms: config.algorithms,
      clockToleranceSeconds: config.clockSkewSeconds,
      jwksCooldownMs: 5000,
    }),
    pdp: config.pbacUrl
      ? createRemotePdp({ url: config.pbacUrl, path: config.pbacPath, timeoutMs: config.pbacTimeoutMs, cacheTtlMs: config.pbacCacheTtlMs, logger })
      : createEmbeddedPdp(loadPolicy(config.policyFile)),
  };
}
