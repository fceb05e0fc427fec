import { loadConfig } from './config';
import { createLogger, levelFromEnv } from './lib/logger';
import { runMain } from './lib/main';
import { startGateway } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('api-gateway', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startGateway(loadConfig(process.env), log));
