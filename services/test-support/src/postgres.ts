import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Client } from 'pg';
import { EXTERNAL_URL_ENV } from './availability';
import {
  ensureServerUser,
  findPostgresBinDir,
  freePort,
  makeServerTempDir,
  removeTempDir,
  runAs,
  TestServerError,
  waitFor,
} from './process';
import { startTcpRelay, type TcpRelay } from './proxy';

/** A PostgreSQL server for one test file. */
export interface TestPostgres {
  /** True when the server was started by this helper (false: external server behind a relay). */
  readonly managed: boolean;
  /** Creates a fresh database and returns its connection URL. */
  createDatabase(prefix?: string): Promise<string>;
  /** Makes the server unreachable (stops it, or cuts the relay to an external one). */
  stop(): Promise<void>;
  /** Makes it reachable again after {@link TestPostgres.stop}. */
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

async function createDb(adminUrl: string, prefix: string): Promise<string> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

async function canQuery(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startExternal(external: string): Promise<TestPostgres> {
  const target = new URL(external);
  const relay: TcpRelay = await startTcpRelay(target.hostname, Number(target.port || 5432));
  const viaRelay = new URL(external);
  viaRelay.hostname = '127.0.0.1';
  viaRelay.port = String(relay.port);
  const adminUrl = viaRelay.toString();
  await waitFor(`external PostgreSQL at ${target.host}`, () => canQuery(adminUrl));
  return {
    managed: false,
    createDatabase: (prefix = 'test') => createDb(adminUrl, prefix),
    stop: async () => relay.cut(),
    start: async () => relay.restore(),
    destroy: () => relay.close(),
  };
}

/**
 * Starts a throwaway PostgreSQL server on 127.0.0.1 (initdb + pg_ctl in a temp dir, trust auth, fsync off),
 * run as an unprivileged user when the tests run as root. When `SHIPGATE_TEST_POSTGRES_URL` is set it uses
 * that server instead, through a relay so {@link TestPostgres.stop} still works. Share one per test file.
 *
 * @example const pg = await startPostgres(); const url = await pg.createDatabase('inventory');
 */
export async function startPostgres(): Promise<TestPostgres> {
  const external = process.env[EXTERNAL_URL_ENV.postgresql];
  if (external) return startExternal(external);

  const bin = findPostgresBinDir();
  if (!bin) throw new TestServerError('PostgreSQL not installed: apt-get install -y postgresql');
  const owner = ensureServerUser();
  const dir = makeServerTempDir('shipgate-pg-', owner);
  const data = join(dir, 'data');
  const log = join(dir, 'server.log');
  runAs(
    join(bin, 'initdb'),
    ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'],
    owner,
  );
  let port = 0;
  const pgCtl = (args: string[]) => runAs(join(bin, 'pg_ctl'), ['-D', data, ...args], owner);
  const start = async () => {
    const opts = [
      `-p ${port}`,
      `-k ${dir}`,
      '-c listen_addresses=127.0.0.1',
      '-c fsync=off',
      '-c synchronous_commit=off',
      '-c full_page_writes=off',
      '-c max_connections=50',
    ].join(' ');
    pgCtl(['-l', log, '-w', '-t', '60', '-o', opts, 'start']);
  };
  try {
    port = await freePort();
    await start();
  } catch (err) {
    // The port picked may have been taken in between; one retry on a fresh one.
    port = await freePort();
    try {
      await start();
    } catch {
      removeTempDir(dir);
      throw err;
    }
  }
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let running = true;
  return {
    managed: true,
    createDatabase: (prefix = 'test') => createDb(adminUrl, prefix),
    stop: async () => {
      if (!running) return;
      pgCtl(['-m', 'fast', '-w', 'stop']);
      running = false;
    },
    start: async () => {
      if (running) return;
      await start();
      running = true;
    },
    destroy: async () => {
      try {
        if (running) pgCtl(['-m', 'immediate', '-w', 'stop']);
      } finally {
        running = false;
        removeTempDir(dir);
      }
    },
  };
}
