import { join } from 'node:path';
import { Client } from 'pg';
import {
  freePort,
  serversAvailable,
  spawnService,
  startPostgres,
  type TestPostgres,
} from '@shipgate/test-support';
import { ConfigError, createLogger } from '@shipgate/kit';
import { loadConfig } from '../src/config';
import { startInventory, type RunningInventory } from '../src/service';

const run = serversAvailable(['postgresql'], 'inventory-app integration tests') ? describe : describe.skip;

run('inventory-app against a real PostgreSQL', () => {
  let pg: TestPostgres;
  let dbUrl: string;
  let svc: RunningInventory;
  let base: string;
  const logLines: Record<string, unknown>[] = [];
  const log = createLogger('inventory-app', 'debug', (line) => logLines.push(JSON.parse(line)));

  const api = (path: string, init?: RequestInit) => fetch(`${base}${path}`, init);
  const send = (method: string, path: string, body?: unknown) =>
    api(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  beforeAll(async () => {
    pg = await startPostgres();
    dbUrl = await pg.createDatabase('inventory');
    svc = await startInventory(loadConfig({ DATABASE_URL: dbUrl, PORT: '0', HOST: '127.0.0.1' }), log);
    base = `http://127.0.0.1:${svc.port}`;
  }, 120_000);

  afterAll(async () => {
    await svc?.stop();
    await pg?.destroy();
  }, 60_000);

  it('applies migrations once, recorded in schema_migrations, and a second start changes nothing', async () => {
    const again = await startInventory(
      loadConfig({ DATABASE_URL: dbUrl, PORT: '0', HOST: '127.0.0.1' }),
      log,
    );
    await again.stop();
    const migrationLogs = logLines.filter((l) => l.msg === 'migrations applied');
    expect(migrationLogs.map((l) => l.applied)).toEqual([['001_create_movies'], []]);
    const client = new Client({ connectionString: dbUrl });
    await client.connect();
    const { rows } = await client.query('SELECT id FROM schema_migrations');
    await client.end();
    expect(rows).toEqual([{ id: '001_create_movies' }]);
  });

  it('round-trips a movie through create, read, filter, update and delete', async () => {
    const created = await send('POST', '/api/movies', { title: 'The Matrix', description: 'Red pill' });
    expect(created.status).toBe(201);
    const movie = (await created.json()) as { id: number; title: string; description: string };
    expect(movie).toEqual({ id: expect.any(Number), title: 'The Matrix', description: 'Red pill' });
    expect(created.headers.get('location')).toBe(`/api/movies/${movie.id}`);
    await send('POST', '/api/movies', { title: '100% Wolf' });

    expect(await (await api(`/api/movies/${movie.id}`)).json()).toEqual(movie);
    const filtered = (await (await api('/api/movies?title=mATr')).json()) as { title: string }[];
    expect(filtered.map((m) => m.title)).toEqual(['The Matrix']);
    // `%` is matched literally, not as a wildcard.
    const literal = (await (await api('/api/movies?title=%25')).json()) as { title: string }[];
    expect(literal.map((m) => m.title)).toEqual(['100% Wolf']);

    const updated = await send('PUT', `/api/movies/${movie.id}`, { description: 'Blue pill' });
    expect(updated.status).toBe(200);
    expect(await updated.json()).toEqual({ ...movie, description: 'Blue pill' });

    const del = await api(`/api/movies/${movie.id}`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    const gone = await api(`/api/movies/${movie.id}`);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toEqual({
      error: 'not_found',
      message: expect.stringContaining(`id ${movie.id}`),
    });

    const all = await api('/api/movies', { method: 'DELETE' });
    expect(await all.json()).toEqual({ deleted: 1 });
    expect(await (await api('/api/movies')).json()).toEqual([]);
  });

  it.each([
    ['an empty body', 'POST', '/api/movies', '', /body is empty/],
    ['a body that is not JSON', 'POST', '/api/movies', '{"title":', /not valid JSON/],
    ['a missing title', 'POST', '/api/movies', { description: 'x' }, /title: title is required/],
    ['a blank title', 'POST', '/api/movies', { title: '   ' }, /title/],
    ['an unknown field', 'POST', '/api/movies', { title: 'x', rating: 5 }, /rating/],
    ['an update with no field', 'PUT', '/api/movies/1', {}, /at least one of title, description/],
    ['a non-numeric id', 'GET', '/api/movies/abc', undefined, /movie id "abc".*positive integer/],
  ])('answers 400 with a clear message for %s', async (_name, method, path, body, message) => {
    const res = await send(method, path, body);
    expect(res.status).toBe(400);
    const json = (await res.json()) as { error: string; message: string };
    expect(json.error).toBe('invalid_request');
    expect(json.message).toMatch(message);
  });

  it('answers 404 for updating or deleting a missing id, and for unknown routes', async () => {
    expect((await send('PUT', '/api/movies/999999', { title: 'x' })).status).toBe(404);
    expect((await api('/api/movies/999999', { method: 'DELETE' })).status).toBe(404);
    const unknown = await api('/api/films');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { message: string }).message).toMatch(/No route GET \/api\/films/);
  });

  it('logs one structured JSON line per request without the query string', async () => {
    await api('/api/movies?title=secret-ish');
    const line = logLines
      .filter((l) => l.msg === 'request' && l.method === 'GET' && l.path === '/api/movies')
      .pop();
    expect(line).toEqual(
      expect.objectContaining({
        service: 'inventory-app',
        level: 'info',
        status: 200,
        durationMs: expect.any(Number),
      }),
    );
    expect(JSON.stringify(logLines)).not.toContain('secret-ish');
  });

  it('fails fast on bad configuration, naming the variable and hiding the database URL', () => {
    expect(() => loadConfig({})).toThrow(/DATABASE_URL: required.*\(it is not set\)/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db', PORT: 'eighty' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'mysql://u:hunter2@h/db', PORT: 'eighty' });
    } catch (err) {
      expect((err as Error).message).toMatch(/PORT: .*received "eighty"/);
      expect((err as Error).message).toMatch(/DATABASE_URL: must be a postgres:\/\/.*value hidden/);
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('builds the database URL from DB_* parts (as ECS injects them), and names the missing ones', () => {
    const parts = { DB_HOST: 'db.internal', DB_NAME: 'inventory', DB_USER: 'app', DB_PASSWORD: 'p@ss/w:rd' };
    expect(loadConfig(parts).DATABASE_URL).toBe(
      'postgres://app:p%40ss%2Fw%3Ard@db.internal:5432/inventory?sslmode=no-verify',
    );
    expect(loadConfig({ ...parts, DB_PORT: '6432', DB_SSL: 'verify' }).DATABASE_URL).toMatch(
      /@db\.internal:6432\/inventory\?sslmode=verify-full$/,
    );
    expect(() => loadConfig({ DB_HOST: 'db.internal', DB_USER: 'app' })).toThrow(
      /DB_NAME, DB_PASSWORD: not set \(DB_\* variables must be set together\)/,
    );
    expect(() => loadConfig({ ...parts, DB_SSL: 'maybe' })).toThrow(
      /DB_SSL: must be one of disable, require, verify/,
    );
    try {
      loadConfig({ DB_HOST: 'db.internal', DB_PASSWORD: 'hunter2' });
    } catch (err) {
      expect((err as Error).message).not.toContain('hunter2');
    }
  });

  it('finishes a slow in-flight request after SIGTERM, refuses new work, and exits 0', async () => {
    const port = await freePort();
    // Configured the way the ECS task definitions do it: DB_* parts, credentials as separate variables.
    const db = new URL(dbUrl);
    const child = await spawnService(
      join(__dirname, '..', 'src', 'main.ts'),
      {
        DB_HOST: db.hostname,
        DB_PORT: db.port,
        DB_NAME: db.pathname.slice(1),
        DB_USER: db.username,
        DB_PASSWORD: 'unused-with-trust-auth',
        DB_SSL: 'disable',
        PORT: String(port),
        HOST: '127.0.0.1',
        SHUTDOWN_TIMEOUT_MS: '20000',
      },
      port,
    );
    const locker = new Client({ connectionString: dbUrl });
    // pg_stat_activity is snapshotted per transaction, so watch from a second session.
    const watcher = new Client({ connectionString: dbUrl });
    await Promise.all([locker.connect(), watcher.connect()]);
    try {
      await send('POST', '/api/movies', { title: 'Before shutdown' });
      // Hold a lock so the next request blocks inside the service, like a slow query would.
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE movies IN ACCESS EXCLUSIVE MODE');
      const slow = fetch(`${child.baseUrl}/api/movies`);
      await waitUntil(async () => {
        const { rows } = await watcher.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'SELECT id, title%'",
        );
        return rows[0].n === 1;
      });
      child.signal('SIGTERM');
      await child.waitForLog((l) => l.msg === 'shutting down');
      expect(
        await fetch(`${child.baseUrl}/healthz`).then(
          () => 'answered',
          () => 'refused',
        ),
      ).toBe('refused');
      await locker.query('COMMIT');
      const res = await slow;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { title: string }[]).map((m) => m.title)).toContain('Before shutdown');
      expect(await child.exited).toBe(0);
      expect(child.logs).toContainEqual(expect.objectContaining({ msg: 'stopped', drained: true }));
    } finally {
      await Promise.all([locker.end(), watcher.end()]);
      await child.kill();
    }
  }, 60_000);

  it('reports not ready and answers 503 while PostgreSQL is down, and recovers when it is back', async () => {
    expect((await api('/readyz')).status).toBe(200);
    await pg.stop();
    try {
      const ready = await api('/readyz');
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({
        status: 'not_ready',
        checks: { postgres: expect.stringMatching(/^unreachable: /) },
      });
      const list = await api('/api/movies');
      expect(list.status).toBe(503);
      expect(await list.json()).toEqual({ error: 'database_unavailable', message: expect.any(String) });
      expect((await api('/healthz')).status).toBe(200);
    } finally {
      await pg.start();
    }
    await waitUntil(async () => (await api('/readyz')).status === 200);
  }, 60_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
