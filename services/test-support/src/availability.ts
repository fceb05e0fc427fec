import { existsSync } from 'node:fs';
import { findPostgresBinDir } from './process';

/** A dependency the integration tests need. */
export type ServerKind = 'postgresql' | 'rabbitmq';

/** Env vars that point the tests at servers they do not start themselves (GitLab CI `services:`). */
export const EXTERNAL_URL_ENV: Record<ServerKind, string> = {
  postgresql: 'SHIPGATE_TEST_POSTGRES_URL',
  rabbitmq: 'SHIPGATE_TEST_AMQP_URL',
};

/** Path of the RabbitMQ server script shipped by Debian's `rabbitmq-server` package. */
export const RABBITMQ_SERVER_BIN = '/usr/lib/rabbitmq/bin/rabbitmq-server';

function present(kind: ServerKind): boolean {
  if (process.env[EXTERNAL_URL_ENV[kind]]) return true;
  return kind === 'postgresql' ? findPostgresBinDir() !== undefined : existsSync(RABBITMQ_SERVER_BIN);
}

/**
 * Decides whether an integration test file can run. When a server binary is missing: in CI (`CI=true`)
 * it throws, so the run fails; locally it prints a loud reason naming the Debian package to install and
 * returns `false` so the caller uses `describe.skip` — never a silent skip.
 *
 * @example const run = serversAvailable(['postgresql']) ? describe : describe.skip;
 */
export function serversAvailable(kinds: ServerKind[], testFile = 'this test file'): boolean {
  const missing = kinds.filter((k) => !present(k));
  if (missing.length === 0) return true;
  const packages = missing.map((k) => (k === 'postgresql' ? 'postgresql' : 'rabbitmq-server')).join(' ');
  const reason =
    `${testFile}: ${missing.join(' and ')} server binaries not found ` +
    `(looked for /usr/lib/postgresql/*/bin/initdb and ${RABBITMQ_SERVER_BIN}). ` +
    `Install them with: apt-get update && apt-get install -y ${packages} ` +
    `or point ${missing.map((k) => EXTERNAL_URL_ENV[k]).join(' / ')} at running servers.`;
  if (process.env.CI === 'true' || process.env.CI === '1') {
    throw new Error(`CI=true and ${reason}`);
  }
  process.stderr.write(
    `\n${'!'.repeat(100)}\nSKIPPING INTEGRATION TESTS — ${reason}\n${'!'.repeat(100)}\n\n`,
  );
  return false;
}
