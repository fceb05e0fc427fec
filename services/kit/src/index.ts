/**
 * @shipgate/kit — the runtime every sample service shares: JSON logging, configuration from the
 * environment, the drainable HTTP server and its request middleware, graceful shutdown, reconnecting with
 * backoff, the Docker health probe, and (for the database services) the DB_* URL assembly and SQL migrations.
 *
 * The services keep only their domain (routes, queue topology, SQL) and import the rest from here.
 */
export { withDatabaseUrl } from './db-env';
export { parseEnv } from './env';
export { ConfigError, ServiceError } from './errors';
export { probe } from './healthcheck';
export {
  InvalidRequestError,
  normalizeErrors,
  readJsonBody,
  requestLogger,
  validate,
  type ErrorBody,
} from './http';
export { listen, type HttpServer } from './http-server';
export {
  createLogger,
  errorFields,
  levelFromEnv,
  type LogFields,
  type Logger,
  type LogLevel,
} from './logger';
export { runMain } from './main';
export { keepConnected, type ConnectionLoop, type KeepConnectedOptions } from './reconnect';
export {
  isConnectionError,
  migrate,
  MigrationError,
  retryUntil,
  type MigrationClient,
  type MigrationPool,
} from './migrate';
