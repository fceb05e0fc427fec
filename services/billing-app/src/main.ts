import { loadConfig } from './config';
import { createLogger, levelFromEnv } from './lib/logger';
import { runMain } from './lib/main';
import { startBilling } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('billing-app', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startBilling(loadConfig(process.env), log));
