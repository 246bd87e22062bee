import { readFileSync } from 'node:fs';

/**
 * How the service reaches Temporal: the options `Connection.connect` (client) and
 * `NativeConnection.connect` (worker) both take. Certificates and keys are the files' bytes; this
 * object is never logged (`describeTemporalConnection` says what is in it without the material).
 */
export interface TemporalConnectionConfig {
  /** host:port of the frontend. */
  address: string;
  /** false: plaintext. Otherwise TLS, the server verified against the CA (else the system's roots), with a client certificate for mTLS. */
  tls: false | { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
  /** Sent as `Authorization: Bearer <key>` (Temporal Cloud's API keys). */
  apiKey: string | undefined;
}

const FILES = { ca: 'TEMPORAL_TLS_CA_FILE', cert: 'TEMPORAL_TLS_CERT_FILE', key: 'TEMPORAL_TLS_KEY_FILE' } as const;

/**
 * From TEMPORAL_ADDRESS and the TLS / API key variables:
 * - `TEMPORAL_TLS` 1 (or true) connects with TLS; any `TEMPORAL_TLS_*` variable implies it; 0 (or false) with one of them is an error.
 * - `TEMPORAL_TLS_CA_FILE`: PEM of the CA that signed the server's certificate (unset: the system's roots).
 * - `TEMPORAL_TLS_CERT_FILE` + `TEMPORAL_TLS_KEY_FILE` (both or neither): the client certificate and key, for mTLS.
 * - `TEMPORAL_TLS_SERVER_NAME`: the name the server's certificate is checked against, when not the address's host.
 * - `TEMPORAL_API_KEY` or `TEMPORAL_API_KEY_FILE` (not both): an API key; with it TLS is on unless `TEMPORAL_TLS=0`, as the SDK does.
 * A bad setting fails start-up with an error naming the variable and the path, never a file's content.
 */
export function temporalConnectionFromEnv(env: NodeJS.ProcessEnv = process.env, read: (path: string) => Buffer = readFileSync): TemporalConnectionConfig {
  const file = (name: string): Buffer | undefined => {
    const path = env[name];
    if (!path) return undefined;
    let bytes: Buffer;
    try {
      bytes = read(path);
    } catch (err) {
      throw new Error(`${name}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (bytes.length === 0) throw new Error(`${name}: ${path} is empty`);
    return bytes;
  };

  if (env.TEMPORAL_API_KEY && env.TEMPORAL_API_KEY_FILE) throw new Error('TEMPORAL_API_KEY and TEMPORAL_API_KEY_FILE: set one, not both');
  const apiKey = env.TEMPORAL_API_KEY || file('TEMPORAL_API_KEY_FILE')?.toString('utf8').trim() || undefined;

  const flag = env.TEMPORAL_TLS ?? '';
  if (!['', '0', '1', 'true', 'false'].includes(flag)) throw new Error(`TEMPORAL_TLS must be 1 or 0, got "${flag}"`);
  const tlsVariables = [...Object.values(FILES), 'TEMPORAL_TLS_SERVER_NAME'].filter((name) => env[name]);
  const off = flag === '0' || flag === 'false';
  if (off && tlsVariables.length > 0) throw new Error(`TEMPORAL_TLS=${flag} but ${tlsVariables.join(', ')} set: TLS settings need TLS`);
  const on = flag === '1' || flag === 'true' || tlsVariables.length > 0 || (apiKey !== undefined && !off);

  if (!!env[FILES.cert] !== !!env[FILES.key]) throw new Error(`${FILES.cert} and ${FILES.key} go together: set both for mTLS, or neither`);
  const ca = file(FILES.ca);
  const crt = file(FILES.cert);
  const key = file(FILES.key);
  return {
    address: env.TEMPORAL_ADDRESS || '127.0.0.1:7233',
    tls: on
      ? {
          ...(env.TEMPORAL_TLS_SERVER_NAME ? { serverNameOverride: env.TEMPORAL_TLS_SERVER_NAME } : {}),
          ...(ca ? { serverRootCACertificate: ca } : {}),
          ...(crt && key ? { clientCertPair: { crt, key } } : {}),
        }
      : false,
    apiKey,
  };
}

/** For logs and the stack's banner: the address and which kinds of security are on, no key material. */
export function describeTemporalConnection(c: TemporalConnectionConfig): string {
  const security = [
    c.tls && (c.tls.clientCertPair ? 'mTLS' : 'TLS'),
    c.tls && c.tls.serverRootCACertificate && 'own CA',
    c.tls && c.tls.serverNameOverride && `server name ${c.tls.serverNameOverride}`,
    c.apiKey && 'API key',
  ].filter(Boolean);
  return security.length > 0 ? `${c.address} (${security.join(', ')})` : `${c.address} (plaintext)`;
}
