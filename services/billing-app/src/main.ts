import { createLogger, levelFromEnv, runMain } from '@shipgate/kit';
import { loadConfig } from './config';
import { startBilling } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('billing-app', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startBilling(loadConfig(process.env), log));
