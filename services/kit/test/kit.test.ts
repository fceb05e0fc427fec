import { request } from 'node:http';
import { Hono } from 'hono';
import { z } from 'zod';
import {
  ConfigError,
  createLogger,
  errorFields,
  InvalidRequestError,
  isConnectionError,
  keepConnected,
  levelFromEnv,
  listen,
  MigrationError,
  normalizeErrors,
  parseEnv,
  probe,
  readJsonBody,
  requestLogger,
  retryUntil,
  validate,
  withDatabaseUrl,
  type HttpServer,
  type Logger,
} from '../src';

// The shared runtime of the three services, tested once here; the services' integration tests exercise it
// again through their real start-up, requests and SIGTERM.

/** A logger that keeps its JSON lines. */
function memoryLogger(level: 'debug' | 'info' = 'debug'): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger('kit-test', level, (l) => lines.push(JSON.parse(l))), lines };
}

/** GET over a fresh connection; resolves with status, headers and body. */
function get(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>(
    (resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    },
  );
}

describe('logger', () => {
  it('writes one JSON line per event at or above its level, with the service name', () => {
    const lines: string[] = [];
    const log = createLogger('svc', 'info', (l) => lines.push(l));
    log.debug('hidden');
    log.info('shown', { port: 8080 });
    log.error('bad');
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { time: expect.any(String), level: 'info', service: 'svc', msg: 'shown', port: 8080 },
      { time: expect.any(String), level: 'error', service: 'svc', msg: 'bad' },
    ]);
    expect(lines.every((l) => l.endsWith('}\n'))).toBe(true);
  });

  it('reads levels leniently and turns errors into fields without stacks', () => {
    expect(levelFromEnv('warn')).toBe('warn');
    expect(levelFromEnv('loud')).toBe('info');
    expect(levelFromEnv(undefined)).toBe('info');
    const err = Object.assign(new TypeError('boom'), { code: 'E1' });
    expect(errorFields(err)).toEqual({ errorName: 'TypeError', error: 'boom', errorCode: 'E1' });
    expect(errorFields('plain')).toEqual({ error: 'plain' });
  });
});

describe('configuration', () => {
  const schema = z.object({
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    SECRET_URL: z.string().regex(/^amqp:\/\//, 'must be an amqp:// URL'),
  });

  it('parses and applies defaults', () => {
    expect(parseEnv(schema, { SECRET_URL: 'amqp://h' })).toEqual({ PORT: 8080, SECRET_URL: 'amqp://h' });
  });

  it('names every bad variable and never echoes a secret one', () => {
    const run = () => parseEnv(schema, { PORT: 'eighty', SECRET_URL: 'http://u:hunter2@h' }, ['SECRET_URL']);
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/PORT: .*\(received "eighty"\)/);
    expect(run).toThrow(/SECRET_URL: must be an amqp:\/\/ URL \(value hidden\)/);
    expect(run).not.toThrow(/hunter2/);
    expect(() => parseEnv(schema, {})).toThrow(/SECRET_URL: .*\(it is not set\)/);
  });

  it('builds DATABASE_URL from the DB_* parts, encoding the credentials', () => {
    const env = { DB_HOST: 'db', DB_NAME: 'n/1', DB_USER: 'app', DB_PASSWORD: 'p@ss/w:rd', DB_SSL: 'verify' };
    expect(withDatabaseUrl(env).DATABASE_URL).toBe(
      'postgres://app:p%40ss%2Fw%3Ard@db:5432/n%2F1?sslmode=verify-full',
    );
    expect(withDatabaseUrl({ ...env, DB_SSL: undefined, DB_PORT: '6432' }).DATABASE_URL).toMatch(
      /@db:6432\/n%2F1\?sslmode=no-verify$/,
    );
    expect(withDatabaseUrl({ DATABASE_URL: 'postgres://x', DB_HOST: 'ignored' }).DATABASE_URL).toBe(
      'postgres://x',
    );
    expect(withDatabaseUrl({}).DATABASE_URL).toBeUndefined();
  });

  it('refuses partial or malformed DB_* parts without echoing the password', () => {
    const run = () =>
      withDatabaseUrl({ DB_HOST: 'db', DB_PASSWORD: 'hunter2', DB_SSL: 'maybe', DB_PORT: 'x' });
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/DB_NAME, DB_USER: not set/);
    expect(run).toThrow(/DB_SSL: must be one of disable, require, verify \(received "maybe"\)/);
    expect(run).toThrow(/DB_PORT: must be a port number/);
    expect(run).not.toThrow(/hunter2/);
  });
});

describe('HTTP server and middleware', () => {
  let server: HttpServer | undefined;
  afterEach(async () => {
    await server?.close(100);
    server = undefined;
  });

  function app(log: Logger, release?: Promise<void>) {
    const a = new Hono();
    a.use(requestLogger(log));
    a.use(normalizeErrors());
    a.onError((err, c) =>
      err instanceof InvalidRequestError
        ? c.json({ error: 'invalid_request', message: err.message, issues: err.issues }, 400)
        : c.json({ error: 'internal', message: err.message }, 500),
    );
    a.get('/healthz', (c) => c.json({ status: 'ok' }));
    a.get('/id', (c) => c.text(c.get('requestId')));
    a.get('/slow', async (c) => {
      await release;
      return c.text('done');
    });
    a.get('/throw-string', () => {
      throw 'not an Error';
    });
    a.post('/echo', async (c) =>
      c.json(validate(z.object({ n: z.number().int() }), await readJsonBody(c), 'body')),
    );
    return a;
  }

  it('echoes a well-formed X-Request-Id, replaces a malformed one, and logs health checks at debug', async () => {
    const { log, lines } = memoryLogger();
    server = await listen(app(log), 0, '127.0.0.1');
    const kept = await get(server.port, '/id?token=secret', { 'x-request-id': 'req-42' });
    expect(kept.body).toBe('req-42');
    expect(kept.headers['x-request-id']).toBe('req-42');
    const replaced = await get(server.port, '/id', { 'x-request-id': 'bad id with spaces' });
    expect(replaced.body).toMatch(/^[0-9a-f-]{36}$/);
    await get(server.port, '/healthz');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request',
        path: '/id',
        status: 200,
        requestId: 'req-42',
      }),
      expect.objectContaining({ level: 'info', path: '/id', requestId: replaced.body }),
      expect.objectContaining({ level: 'debug', path: '/healthz' }),
    ]);
    // The query string (which may carry secrets) never reaches the log.
    expect(JSON.stringify(lines)).not.toContain('secret');
  });

  it('answers bad bodies with 400 and the issues, and wraps non-Error throws as a logged 500', async () => {
    const { log, lines } = memoryLogger();
    server = await listen(app(log), 0, '127.0.0.1');
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${server!.port}/echo`, { method: 'POST', body }).then(async (r) => ({
        status: r.status,
        body: (await r.json()) as Record<string, unknown>,
      }));
    expect(await post('{"n":3}')).toEqual({ status: 200, body: { n: 3 } });
    expect((await post('')).body.message).toMatch(/body is empty/);
    expect((await post('{nope')).body.message).toMatch(/not valid JSON/);
    expect(await post('{"n":"x"}')).toEqual({
      status: 400,
      body: expect.objectContaining({ issues: [{ path: 'n', message: expect.any(String) }] }),
    });
    const thrown = await get(server.port, '/throw-string');
    expect({ status: thrown.status, body: JSON.parse(thrown.body) }).toEqual({
      status: 500,
      body: { error: 'internal', message: 'not an Error' },
    });
    expect(lines.at(-1)).toEqual(expect.objectContaining({ level: 'error', status: 500 }));
  });

  it('drains: close waits for in-flight requests, tells them connection: close, and refuses new ones', async () => {
    const { log } = memoryLogger();
    let release!: () => void;
    server = await listen(app(log, new Promise((r) => (release = r))), 0, '127.0.0.1');
    const port = server.port;
    const slow = get(port, '/slow');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.inFlight()).toBe(1);
    const closed = server.close(5000);
    await expect(get(port, '/healthz')).rejects.toThrow(/ECONNREFUSED/);
    release();
    const res = await slow;
    expect({ status: res.status, body: res.body, connection: res.headers.connection }).toEqual({
      status: 200,
      body: 'done',
      connection: 'close',
    });
    expect(await closed).toEqual({ drained: true });
    server = undefined;
  });

  it('cuts what is still running when the drain times out', async () => {
    const { log } = memoryLogger();
    server = await listen(app(log, new Promise(() => undefined)), 0, '127.0.0.1');
    const slow = get(server.port, '/slow').catch((err: Error) => err);
    await new Promise((r) => setTimeout(r, 50));
    expect(await server.close(100)).toEqual({ drained: false });
    // The client sees its connection cut rather than an answer.
    expect(String(await slow)).toMatch(/socket hang up|ECONNRESET/);
    server = undefined;
  });

  it('probe: 0 while /healthz answers 200, 1 when nothing listens', async () => {
    const { log } = memoryLogger();
    server = await listen(app(log), 0, '127.0.0.1');
    const port = server.port;
    expect(await probe(port)).toBe(0);
    await server.close(100);
    server = undefined;
    expect(await probe(port)).toBe(1);
  });
});

describe('database start-up helpers', () => {
  it('tells "PostgreSQL is unreachable" from "the query is wrong"', () => {
    expect(isConnectionError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: '57P03' }))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isConnectionError(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('syntax error'), { code: '42601' }))).toBe(false);
    expect(isConnectionError(new MigrationError('m', { cause: { code: 'ECONNRESET' } }))).toBe(true);
  });

  it('retries connection failures with backoff, but not a migration whose SQL is wrong', async () => {
    const { log, lines } = memoryLogger();
    let calls = 0;
    const flaky = async () => {
      calls += 1;
      if (calls < 3) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return 'up';
    };
    await expect(retryUntil('db', flaky, 5000, log)).resolves.toBe('up');
    expect(lines.filter((l) => l.msg === 'db failed, retrying').map((l) => l.retryInMs)).toEqual([250, 500]);

    const broken = new MigrationError('bad SQL', {
      cause: Object.assign(new Error('syntax'), { code: '42601' }),
    });
    let attempts = 0;
    await expect(
      retryUntil(
        'migrations',
        async () => {
          attempts += 1;
          throw broken;
        },
        5000,
        log,
      ),
    ).rejects.toBe(broken);
    expect(attempts).toBe(1);
  });
});

describe('keepConnected', () => {
  const until = async (cond: () => boolean) => {
    for (let i = 0; i < 200 && !cond(); i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(cond()).toBe(true);
  };

  it('backs off exponentially (capped, with jitter) after failures, starts over after a connect, and ends once stopping', async () => {
    const { log, lines } = memoryLogger();
    let stopping = false;
    let calls = 0;
    let disconnects = 0;
    let close: (err?: Error) => void = () => undefined;
    const loop = keepConnected({
      what: 'amqp',
      minMs: 10,
      maxMs: 25,
      log,
      isStopping: () => stopping,
      onDisconnected: () => (disconnects += 1),
      connect: async () => {
        calls += 1;
        if (calls <= 3) throw Object.assign(new Error(`refused ${calls}`), { code: 'ECONNREFUSED' });
        return new Promise<Error | undefined>((resolve) => (close = resolve));
      },
    });
    await until(() => calls === 4);
    close(new Error('broker restarted'));
    await until(() => calls === 5);
    stopping = true;
    close();
    await loop.done;
    const scheduled = lines.filter((l) => l.msg === 'amqp reconnect scheduled');
    expect(scheduled.map((l) => l.attempt)).toEqual([1, 2, 3, 1]);
    const bounds = [10, 20, 25, 10];
    scheduled.forEach((l, i) => {
      expect(l.delayMs).toBeGreaterThanOrEqual(Math.floor(bounds[i] * 0.8));
      expect(l.delayMs).toBeLessThanOrEqual(Math.ceil(bounds[i] * 1.2));
    });
    expect(lines.filter((l) => l.msg === 'amqp connect failed').map((l) => [l.attempt, l.errorCode])).toEqual(
      [
        [0, 'ECONNREFUSED'],
        [1, 'ECONNREFUSED'],
        [2, 'ECONNREFUSED'],
      ],
    );
    expect(lines.filter((l) => l.msg === 'amqp connection lost, reconnecting').map((l) => l.error)).toEqual([
      'broker restarted',
    ]);
    // Every ended connection or attempt was reported to the owner; the loop ended without a 6th attempt.
    expect({ calls, disconnects }).toEqual({ calls: 5, disconnects: 5 });
  });

  it('wake() cuts a backoff wait short so a stopping owner is not held up', async () => {
    const { log } = memoryLogger();
    let stopping = false;
    let calls = 0;
    const loop = keepConnected({
      what: 'amqp',
      minMs: 60_000,
      maxMs: 60_000,
      log,
      isStopping: () => stopping,
      onDisconnected: () => undefined,
      connect: async () => {
        calls += 1;
        throw new Error('refused');
      },
    });
    await until(() => calls === 1);
    stopping = true;
    loop.wake();
    await loop.done;
    expect(calls).toBe(1);
  });
});
