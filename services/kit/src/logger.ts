/** Severity of a log line. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Extra structured fields on a log line. Never put secrets (passwords, tokens, full connection URLs) here. */
export type LogFields = Record<string, unknown>;

/** A structured JSON logger: one line per event on stdout. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

/** Turns an error into loggable fields (name, message, code) without the stack of nested causes. */
export function errorFields(err: unknown): LogFields {
  if (typeof err === 'object' && err !== null && typeof (err as Error).message === 'string') {
    const { name, message, code } = err as Error & { code?: unknown };
    return { errorName: name, error: message, ...(code !== undefined ? { errorCode: code } : {}) };
  }
  return { error: String(err) };
}

/**
 * Creates a logger writing JSON lines `{time, level, service, msg, ...fields}` at or above `level`.
 *
 * @example const log = createLogger('inventory-app', 'info'); log.info('listening', { port: 8080 });
 */
export function createLogger(
  service: string,
  level: LogLevel = 'info',
  write: (line: string) => void = (line) => process.stdout.write(line),
): Logger {
  const min = ORDER[level];
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
    if (ORDER[lvl] < min) return;
    write(`${JSON.stringify({ time: new Date().toISOString(), level: lvl, service, msg, ...fields })}\n`);
  };
  return {
    debug: (msg, fields) => emit('debug', msg, fields),
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/** Reads a log level from an env value, falling back to `info` (the config schema reports bad values). */
export function levelFromEnv(value: string | undefined): LogLevel {
  return value !== undefined && value in ORDER ? (value as LogLevel) : 'info';
}
