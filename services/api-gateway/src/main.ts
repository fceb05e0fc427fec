import { createLogger, levelFromEnv, runMain } from '@shipgate/kit';
import { loadConfig } from './config';
import { startGateway } from './service';

// Entry point (Dockerfile CMD): configuration is validated before anything else happens.
const log = createLogger('api-gateway', levelFromEnv(process.env.LOG_LEVEL));
runMain(log, async () => startGateway(loadConfig(process.env), log));
