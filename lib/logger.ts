import pino from 'pino';

/** JSON logs; credentials are redacted wherever a known header or field carries them. */
const options: pino.LoggerOptions = {
  level: process.env.LOG_LEVEL ?? 'info',
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

/** The service's logger writing to `destination` (stdout by default), e.g. to capture logs in tests. */
export const createLogger = (destination?: pino.DestinationStream, level?: string) => pino({ ...options, ...(level ? { level } : {}) }, destination ?? pino.destination(1));
export const logger = createLogger();

export type Logger = pino.Logger;
