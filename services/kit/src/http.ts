import { randomUUID } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import type { z } from 'zod';
import { ServiceError } from './errors';
import type { Logger } from './logger';

/** The request is malformed; answered with 400 and the list of problems. */
export class InvalidRequestError extends ServiceError {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[] = [],
  ) {
    super(message);
  }
}

/** JSON error body shared by every non-2xx answer: a stable `error` code and a sentence for humans. */
export interface ErrorBody {
  error: string;
  message: string;
  issues?: { path: string; message: string }[];
}

/**
 * Validates `value` against `schema`; throws {@link InvalidRequestError} listing each problem with its path.
 *
 * @example const input = validate(movieInputSchema, await readJsonBody(c), 'movie');
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const issues = res.error.issues.map((i) => ({ path: i.path.join('.') || '(root)', message: i.message }));
  throw new InvalidRequestError(
    `Invalid ${what}: ${issues.map((i) => (i.path === '(root)' ? i.message : `${i.path}: ${i.message}`)).join('; ')}`,
    issues,
  );
}

/** Reads the request body as JSON; throws {@link InvalidRequestError} when it is missing or not JSON. */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (!text.trim()) throw new InvalidRequestError('The request body is empty; send a JSON object.');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new InvalidRequestError(
      `The request body is not valid JSON (${(err as Error).message}); send a JSON object with Content-Type: application/json.`,
    );
  }
}

/**
 * Makes every thrown value an `Error` of this realm so hono's `onError` sees it (hono only routes
 * `instanceof Error` there; errors from another realm, e.g. Node core under a test VM, would otherwise
 * become a bare 500). Keeps `code` and the original as `cause`.
 */
export function normalizeErrors(): MiddlewareHandler {
  return async (_c, next) => {
    try {
      await next();
    } catch (err) {
      if (err instanceof Error) throw err;
      const src =
        typeof err === 'object' && err !== null ? (err as { message?: unknown; code?: unknown }) : {};
      const wrapped = new ServiceError(typeof src.message === 'string' ? src.message : String(err), {
        cause: err,
      });
      if (src.code !== undefined) Object.assign(wrapped, { code: src.code });
      throw wrapped;
    }
  };
}

declare module 'hono' {
  interface ContextVariableMap {
    /** Correlation id of the request (from `X-Request-Id` when well-formed, otherwise generated). */
    requestId: string;
  }
}

const QUIET_PATHS = new Set(['/healthz', '/readyz']);
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/**
 * Logs one JSON line per request (method, path without query string, status, duration, request id) and
 * echoes the request id in `X-Request-Id`. The id comes from the caller's `X-Request-Id` when well-formed
 * (so one id follows a request across services) or is generated. Health checks are logged at debug level
 * so load-balancer probes do not flood the logs.
 */
export function requestLogger(log: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    c.set('requestId', requestId);
    await next();
    c.header('x-request-id', requestId);
    const fields = {
      requestId,
      method: c.req.method,
      path: c.req.path,
      status: c.res.status,
      durationMs: Math.round((performance.now() - started) * 10) / 10,
    };
    if (QUIET_PATHS.has(c.req.path)) log.debug('request', fields);
    else if (c.res.status >= 500) log.error('request', fields);
    else log.info('request', fields);
  };
}
