import pino from 'pino';

/** JSON logs; credentials are redacted wherever a known header or field carries them. */
export const logger = pino({
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
});

export type Logger = pino.Logger;
