import { createLogger, levelFromEnv, runMain } from '@shipgate/kit';
import { loadConfig } from './config';
import { startInventory } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('inventory-app', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startInventory(loadConfig(process.env), log));
