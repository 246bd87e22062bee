import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { describeTemporalConnection, temporalConnectionFromEnv } from '../../lib/temporal-connection';

const dir = mkdtempSync(join(tmpdir(), 'temporal-connection-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
const ca = file('ca.pem', 'CA PEM');
const crt = file('client.pem', 'CLIENT CERT PEM');
const key = file('client.key', 'CLIENT KEY PEM');
const apiKeyFile = file('api-key', 'key-from-file\n');

describe('temporalConnectionFromEnv', () => {
  it('is plaintext to the local default without any variable', () => {
    expect(temporalConnectionFromEnv({})).toEqual({ address: '127.0.0.1:7233', tls: false, apiKey: undefined });
  });

  it('TEMPORAL_TLS=1 alone is TLS against the system roots', () => {
    expect(temporalConnectionFromEnv({ TEMPORAL_ADDRESS: 'temporal.example:7233', TEMPORAL_TLS: '1' })).toEqual({ address: 'temporal.example:7233', tls: {}, apiKey: undefined });
  });

  it('reads the CA, client certificate and key from their files (mTLS), with the server name', () => {
    const c = temporalConnectionFromEnv({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_FILE: ca, TEMPORAL_TLS_CERT_FILE: crt, TEMPORAL_TLS_KEY_FILE: key, TEMPORAL_TLS_SERVER_NAME: 'frontend.internal' });
    expect(c.tls).toEqual({ serverNameOverride: 'frontend.internal', serverRootCACertificate: Buffer.from('CA PEM'), clientCertPair: { crt: Buffer.from('CLIENT CERT PEM'), key: Buffer.from('CLIENT KEY PEM') } });
    expect(describeTemporalConnection(c)).toBe('127.0.0.1:7233 (mTLS, own CA, server name frontend.internal)');
  });

  it('a TLS file implies TLS; with TEMPORAL_TLS=0 it is an error rather than plaintext', () => {
    expect(temporalConnectionFromEnv({ TEMPORAL_TLS_CA_FILE: ca }).tls).toEqual({ serverRootCACertificate: Buffer.from('CA PEM') });
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS: '0', TEMPORAL_TLS_CA_FILE: ca })).toThrow('TEMPORAL_TLS=0 but TEMPORAL_TLS_CA_FILE set');
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS: 'yes' })).toThrow('TEMPORAL_TLS must be 1 or 0, got "yes"');
  });

  it('wants the client certificate and key together', () => {
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS_CERT_FILE: crt })).toThrow('TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY_FILE go together');
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS_KEY_FILE: key })).toThrow('go together');
  });

  it('names the variable and path of an unreadable or empty file, never its content', () => {
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS_CA_FILE: join(dir, 'missing.pem') })).toThrow(`TEMPORAL_TLS_CA_FILE: cannot read ${join(dir, 'missing.pem')} (ENOENT)`);
    const empty = file('empty.pem', '');
    expect(() => temporalConnectionFromEnv({ TEMPORAL_TLS_CERT_FILE: empty, TEMPORAL_TLS_KEY_FILE: key })).toThrow(new Error(`TEMPORAL_TLS_CERT_FILE: ${empty} is empty`));
  });

  it('an API key turns TLS on as the SDK would, unless TEMPORAL_TLS=0; its file is read and trimmed', () => {
    expect(temporalConnectionFromEnv({ TEMPORAL_API_KEY: 'k1' })).toEqual({ address: '127.0.0.1:7233', tls: {}, apiKey: 'k1' });
    expect(temporalConnectionFromEnv({ TEMPORAL_API_KEY_FILE: apiKeyFile, TEMPORAL_TLS: '0' })).toEqual({ address: '127.0.0.1:7233', tls: false, apiKey: 'key-from-file' });
    expect(() => temporalConnectionFromEnv({ TEMPORAL_API_KEY: 'k1', TEMPORAL_API_KEY_FILE: apiKeyFile })).toThrow('set one, not both');
  });

  it('describes the connection without key material', () => {
    const c = temporalConnectionFromEnv({ TEMPORAL_ADDRESS: 'ns.tmprl.cloud:7233', TEMPORAL_API_KEY: 'secret-api-key' });
    expect(describeTemporalConnection(c)).toBe('ns.tmprl.cloud:7233 (TLS, API key)');
    expect(describeTemporalConnection(temporalConnectionFromEnv({}))).toBe('127.0.0.1:7233 (plaintext)');
  });
});
