import { loadConfig } from './config';
import { runMain } from './lib/main';
import { createLogger, levelFromEnv } from './lib/logger';
import { startInventory } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('inventory-app', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startInventory(loadConfig(process.env), log));
