import pino from 'pino';

/** JSON logs; credentials are redacted wherever a known header or field carries them. */
const options: pino.LoggerOptions = {
  redact: {
    paths: [
      'req.headers.authorization',
      'headers.authorization',
      '*.password',
      '*.secret',
      '*.auth_header',
      '*.authHeader',
      '*.credentials',
    ],
    censor: '[redacted]',
  },
};

/**
 * The service's logger writing to `destination`, e.g. to capture logs in tests; `LOG_LEVEL` unless
 * `level` is given. By default stdout, written asynchronously: lines logged while a write is under way
 * go out together in the next one, instead of one blocking write per line (a request's log line was a
 * twentieth of a small read's CPU). pino writes what is left synchronously when the process exits.
 */
export const createLogger = (destination?: pino.DestinationStream, level?: string) =>
  pino({ ...options, level: level || (process.env.LOG_LEVEL ?? 'info') }, destination ?? pino.destination({ dest: 1, sync: false }));

export type Logger = pino.Logger;
