import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Unprivileged account the database servers run as when the tests run as root (postgres refuses root). */
export const TEST_SERVER_USER = 'shipgate-test';

/** Thrown when a test server cannot be started or stopped; the message names the command and its output. */
export class TestServerError extends Error {
  override readonly name = 'TestServerError';
}

/**
 * Returns a TCP port that was free on 127.0.0.1 a moment ago (bind to port 0, read it, release it).
 *
 * @example const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** True when this process runs as root (servers then run as {@link TEST_SERVER_USER}). */
export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * Creates {@link TEST_SERVER_USER} when running as root and it does not exist yet, and returns its uid/gid.
 * Returns undefined when not root (servers then run as the current user).
 */
export function ensureServerUser(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const lookup = () => spawnSync('id', ['-u', TEST_SERVER_USER], { encoding: 'utf8' });
  let res = lookup();
  if (res.status !== 0) {
    const add = spawnSync(
      'useradd',
      ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', TEST_SERVER_USER],
      {
        encoding: 'utf8',
      },
    );
    // A parallel test file may have created it between our lookup and useradd (exit 9 = already exists).
    if (add.status !== 0 && add.status !== 9) {
      throw new TestServerError(
        `useradd ${TEST_SERVER_USER} failed (exit ${add.status}): ${add.stderr.trim()}`,
      );
    }
    res = lookup();
  }
  const gid = spawnSync('id', ['-g', TEST_SERVER_USER], { encoding: 'utf8' });
  return { uid: Number(res.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates a temp dir owned by the server user (when root), so the servers can write their data there. */
export function makeServerTempDir(prefix: string, owner?: { uid: number; gid: number }): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (owner) chownSync(dir, owner.uid, owner.gid);
  return dir;
}

/** Removes a temp dir made by {@link makeServerTempDir}, ignoring errors (it lives under the OS temp dir). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Spawns a command as the given uid/gid (or as the current user), detached into its own process group. */
export function spawnAs(
  cmd: string,
  args: string[],
  owner: { uid: number; gid: number } | undefined,
  opts: SpawnOptions = {},
): ChildProcess {
  return spawn(cmd, args, { ...opts, ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
}

/** Runs a command to completion as the given owner; throws {@link TestServerError} with its output on failure. */
export function runAs(
  cmd: string,
  args: string[],
  owner: { uid: number; gid: number } | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const res = spawnSync(cmd, args, {
    encoding: 'utf8',
    env,
    ...(owner ? { uid: owner.uid, gid: owner.gid } : {}),
  });
  if (res.status !== 0) {
    throw new TestServerError(
      `${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal}): ${(res.stderr || res.stdout || String(res.error)).trim()}`,
    );
  }
  return res.stdout;
}

/** Finds the newest `/usr/lib/postgresql/<version>/bin` that holds `initdb`, or undefined. */
export function findPostgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(base, versions[0], 'bin') : undefined;
}

/** Polls `check` every `intervalMs` until it resolves true or `timeoutMs` passes; throws with `what` on timeout. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new TestServerError(
    `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`,
  );
}
