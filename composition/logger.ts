import pino from 'pino';
import { createLogger } from '../lib/logger';

/**
 * The process's logger (stdout, `LOG_LEVEL`): made here, at the top, so that importing lib/ sets
 * nothing up. Written asynchronously: a request's log line no longer blocks the event loop on a
 * write(2) (8 % of the receiver's CPU under load, issue #18); pino flushes what is pending
 * synchronously when the process exits.
 */
export const logger = createLogger(pino.destination({ dest: 1, sync: false }));
