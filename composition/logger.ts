import { createLogger } from '../lib/logger';

/** The process's logger (stdout, `LOG_LEVEL`): made here, at the top, so that importing lib/ sets nothing up. */
export const logger = createLogger();
