import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SandboxStartError } from './start-error';

/** Secrets the sandbox generates once and keeps in the state dir. */
export interface LocalSecrets {
  webhookToken: string;
  linkSigningKey: string;
}

/** Creates the state dir (everything that persists); returns its absolute path. */
export function prepareStateDir(stateDir: string): string {
  const dir = resolve(stateDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw new SandboxStartError(
      `Cannot create the state dir ${dir} (${(err as Error).message}); set SHIPGATE_STATE_DIR to a writable directory.`,
    );
  }
  return dir;
}

/** Secrets the sandbox generates once and keeps in the state dir (file mode 0600). */
export function localSecrets(stateDir: string): LocalSecrets {
  const file = join(stateDir, 'secrets.json');
  let data: Partial<LocalSecrets> = {};
  if (existsSync(file)) {
    try {
      data = JSON.parse(readFileSync(file, 'utf8')) as typeof data;
    } catch {
      throw new SandboxStartError(`${file} is not valid JSON; delete it to generate new sandbox secrets.`);
    }
  }
  const complete = {
    webhookToken: data.webhookToken ?? `sgw_${randomBytes(24).toString('base64url')}`,
    linkSigningKey: data.linkSigningKey ?? randomBytes(32).toString('base64url'),
  };
  if (complete.webhookToken !== data.webhookToken || complete.linkSigningKey !== data.linkSigningKey) {
    writeFileSync(file, JSON.stringify(complete, null, 2), { mode: 0o600 });
    chmodSync(file, 0o600);
  }
  return complete;
}
