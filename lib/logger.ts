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

/** The service's logger writing to `destination` (stdout by default), e.g. to capture logs in tests; `LOG_LEVEL` unless `level` is given. */
export const createLogger = (destination?: pino.DestinationStream, level?: string) =>
  pino({ ...options, level: level || (process.env.LOG_LEVEL ?? 'info') }, destination ?? pino.destination(1));

export type Logger = pino.Logger;
