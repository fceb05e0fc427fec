import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Pool } from 'pg';
import {
  type ErrorBody,
  errorFields,
  InvalidRequestError,
  isConnectionError,
  type Logger,
  normalizeErrors,
  readJsonBody,
  requestLogger,
  validate,
} from '@shipgate/kit';
import {
  createMovie,
  deleteAllMovies,
  deleteMovie,
  getMovie,
  listMovies,
  movieIdSchema,
  movieInputSchema,
  moviePatchSchema,
  MovieNotFoundError,
  updateMovie,
} from './movies';

/** What the HTTP app needs. */
export interface InventoryAppDeps {
  db: Pool;
  log: Logger;
  /** True once SIGTERM arrived: readiness then fails so the load balancer stops routing here. */
  isShuttingDown: () => boolean;
  /** Upper bound for the readiness probe's database round trip. */
  readyTimeoutMs?: number;
}

function fail(status: ContentfulStatusCode, error: string, message: string, issues?: ErrorBody['issues']) {
  return { status, body: { error, message, ...(issues ? { issues } : {}) } satisfies ErrorBody };
}

/**
 * Builds the movies API: `GET|POST|DELETE /api/movies`, `GET|PUT|DELETE /api/movies/:id`, `/healthz`, `/readyz`.
 *
 * @example const app = createInventoryApp({ db: pool, log, isShuttingDown: () => false });
 */
export function createInventoryApp(deps: InventoryAppDeps): Hono {
  const { db, log } = deps;
  const app = new Hono();
  app.use(requestLogger(log));
  app.use(normalizeErrors());

  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (deps.isShuttingDown()) return c.json({ status: 'shutting_down', checks: {} }, 503);
    try {
      await withTimeout(db.query('SELECT 1'), deps.readyTimeoutMs ?? 2000, 'PostgreSQL did not answer');
      return c.json({ status: 'ready', checks: { postgres: 'ok' } });
    } catch (err) {
      return c.json(
        { status: 'not_ready', checks: { postgres: `unreachable: ${(err as Error).message}` } },
        503,
      );
    }
  });

  app.get('/api/movies', async (c) => c.json(await listMovies(db, c.req.query('title'))));
  app.post('/api/movies', async (c) => {
    const input = validate(movieInputSchema, await readJsonBody(c), 'movie');
    const movie = await createMovie(db, input);
    return c.json(movie, 201, { location: `/api/movies/${movie.id}` });
  });
  app.delete('/api/movies', async (c) => c.json({ deleted: await deleteAllMovies(db) }));

  const idOf = (raw: string) => validate(movieIdSchema, raw, `movie id ${JSON.stringify(raw)}`);
  app.get('/api/movies/:id', async (c) => c.json(await getMovie(db, idOf(c.req.param('id')))));
  app.put('/api/movies/:id', async (c) => {
    const id = idOf(c.req.param('id'));
    const patch = validate(moviePatchSchema, await readJsonBody(c), 'movie update');
    return c.json(await updateMovie(db, id, patch));
  });
  app.delete('/api/movies/:id', async (c) => {
    await deleteMovie(db, idOf(c.req.param('id')));
    return c.body(null, 204);
  });

  app.notFound((c) => {
    const r = fail(
      404,
      'not_found',
      `No route ${c.req.method} ${c.req.path}. Movies live under /api/movies.`,
    );
    return c.json(r.body, r.status);
  });
  app.onError((err, c) => {
    let r;
    if (err instanceof InvalidRequestError) r = fail(400, 'invalid_request', err.message, err.issues);
    else if (err instanceof MovieNotFoundError) r = fail(404, 'not_found', err.message);
    else if (isConnectionError(err)) {
      log.error('database unavailable', errorFields(err));
      r = fail(503, 'database_unavailable', 'The movies database is unreachable; retry shortly.');
    } else {
      log.error('unhandled error', { ...errorFields(err), method: c.req.method, path: c.req.path });
      r = fail(500, 'internal_error', 'Unexpected error; it has been logged.');
    }
    return c.json(r.body, r.status);
  });
  return app;
}

function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
