import { userInfo } from 'node:os';
import { rolloutDeps, type RolloutDeps } from '../../lambdas/domain/rollout/deps';
import { manualRollback } from '../../lambdas/domain/rollout/rollback';
import { ShipgateError } from '../../lambdas/shared/errors';

const USAGE = `Usage: shipgate rollback <service> <environment>

Rolls <service> in <environment> back to the digest Shipgate released there before the current one,
pinned by digest, with the service's configured strategy, and waits (at most rollout.timeout).

Reads SHIPGATE_CONFIG (or ./shipgate.config.yaml) and SHIPGATE_TABLE; AWS endpoints from the usual
AWS_* settings. Against the sandbox (npm start):
  AWS_ENDPOINT_URL=http://127.0.0.1:4566 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=sandbox \
  AWS_SECRET_ACCESS_KEY=sandbox SHIPGATE_TABLE=shipgate shipgate rollback <service> <environment>
`;

/**
 * `shipgate rollback <service> <environment>`: manual rollback to the previously released digest.
 * Exit codes: 0 rolled back, 1 failed, 2 usage.
 * @example await run(['api-gateway', 'production']);
 */
export async function run(
  args: string[],
  options: {
    deps?: Partial<RolloutDeps>;
    stdout?: (s: string) => void;
    stderr?: (s: string) => void;
    who?: string;
  } = {},
): Promise<number> {
  const out = options.stdout ?? ((s: string) => void process.stdout.write(s));
  const err = options.stderr ?? ((s: string) => void process.stderr.write(s));
  const positional = args.filter((a) => !a.startsWith('-'));
  if (args.includes('--help') || args.includes('-h')) {
    out(USAGE);
    return 0;
  }
  if (positional.length !== 2) {
    err(USAGE);
    return 2;
  }
  const [service, environment] = positional;
  try {
    const deps = rolloutDeps(options.deps);
    if (!(service in deps.config.services)) {
      err(
        `shipgate rollback: unknown service "${service}"; configured: ${Object.keys(deps.config.services).join(', ')}\n`,
      );
      return 2;
    }
    if (!deps.config.environments.some((e) => e.name === environment)) {
      err(
        `shipgate rollback: unknown environment "${environment}"; configured: ${deps.config.environments.map((e) => e.name).join(', ')}\n`,
      );
      return 2;
    }
    const who = options.who ?? process.env.USER ?? safeUser();
    const owner = `manual-rollback:${who}:${deps.now().toISOString()}`;
    const result = await manualRollback(service, environment, owner, deps, (line) => out(`${line}\n`));
    out(
      `Rolled back "${service}" in "${environment}": now ${result.to.digest} (release ${result.to.releaseId}) ` +
        `as ${result.taskDefinitionArn}, deployment ${result.deploymentId}; was ${result.from.digest} (release ${result.from.releaseId}).\n`,
    );
    return 0;
  } catch (e) {
    const error = e as Error & { code?: string };
    const hint =
      error.code === 'ECONNREFUSED' || /ECONNREFUSED/.test(error.message)
        ? ' (cannot reach the AWS endpoint: is the sandbox running, and AWS_ENDPOINT_URL right?)'
        : '';
    err(
      `shipgate rollback: ${error instanceof ShipgateError ? `${error.name}: ` : ''}${error.message}${hint}\n`,
    );
    return 1;
  }
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}
