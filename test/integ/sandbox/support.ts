import { execFile, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { parse } from 'yaml';
import { sandboxAdminKeys } from '../../../sandbox/aws/accounts';

/**
 * The tests' keys: a user of Shipgate's account (000000000000) that the sandbox knows
 * (sandbox/aws/accounts.ts); resources of another account need that account's keys ({@link environmentCredentials}).
 */
export const credentials = {
  accessKeyId: 'AKIASANDBOXTEST00000',
  secretAccessKey: 'sandbox-secret-not-real',
};

/**
 * Keys of the account an environment of the example config lives in (`environments[].aws.account`; production
 * is in 222222222222): that account's administrator keys, or {@link credentials} for Shipgate's own account.
 */
export function environmentCredentials(environment: string): {
  accessKeyId: string;
  secretAccessKey: string;
} {
  const config = parse(readFileSync(join(__dirname, '../../../shipgate.config.yaml'), 'utf8')) as {
    environments: { name: string; aws?: { account: string } }[];
  };
  const account = config.environments.find((e) => e.name === environment)?.aws?.account;
  return account ? sandboxAdminKeys(account) : credentials;
}

/** A fresh temporary directory, removed by `cleanup`. */
export function tempDir(prefix = 'shipgate-sandbox-'): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A TCP port free right now on 127.0.0.1. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Polls `probe` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 30000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`,
  );
}

/** Whether the AWS CLI is installed (`.ci/run` installs Debian's `awscli`). */
export const HAS_AWS_CLI = spawnSync('aws', ['--version'], { stdio: 'ignore' }).status === 0;

/** Runs the AWS CLI against the endpoint with dummy credentials; resolves to parsed JSON output. */
export async function awsCli(
  endpoint: string,
  args: string[],
  keys: { accessKeyId: string; secretAccessKey: string } = credentials,
): Promise<Record<string, unknown>> {
  if (!HAS_AWS_CLI) {
    throw new Error(
      'These checks drive the sandbox with the AWS CLI, which is not installed: apt-get install awscli (bash .ci/run does), or pip install awscli.',
    );
  }
  const { stdout } = await promisify(execFile)(
    'aws',
    ['--endpoint-url', endpoint, '--region', 'us-east-1', '--output', 'json', ...args],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_ACCESS_KEY_ID: keys.accessKeyId,
        AWS_SECRET_ACCESS_KEY: keys.secretAccessKey,
        AWS_PAGER: '',
      },
    },
  );
  return stdout.trim() ? (JSON.parse(stdout) as Record<string, unknown>) : {};
}

/**
 * The image the PRIMARY deployment of `service` on `cluster` runs, as the sandbox's ECS (at `endpoint`)
 * describes it: what a person checking "which image is live" would read.
 * `keys` are of the account the cluster lives in (default: Shipgate's own; see {@link environmentCredentials}).
 * @example expect(await runningImage(endpoint, 'shipgate-production', 'billing-app', environmentCredentials('production'))).toMatch(/@sha256:/);
 */
export async function runningImage(
  endpoint: string,
  cluster: string,
  service: string,
  keys: { accessKeyId: string; secretAccessKey: string } = credentials,
): Promise<string> {
  const ecs = new ECSClient({ endpoint, region: 'us-east-1', credentials: keys, maxAttempts: 2 });
  try {
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
    const primary = svc.deployments!.find((d) => d.status === 'PRIMARY')!;
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: primary.taskDefinition }));
    return td.taskDefinition!.containerDefinitions![0].image!;
  } finally {
    ecs.destroy();
  }
}
