import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { getEnvironment, loadConfig, type ShipgateConfig } from '../../lambdas/shared/config';
import { contractParameterName, type DeployContract } from '../../lambdas/shared/contract';
import { parseCommand, UsageError } from './args';
import { environmentAws, sandboxAws, type AwsBase } from './aws-environment';
import { checkContract, formatCheck, type CheckClients } from './contract-check';
import { contractFromService, type ContractInitRequest } from './contract-init';
import { liveClients } from './live-service';
import { canonicalJson } from '../../lambdas/domain/releases/start';

const USAGE = `Usage: shipgate contract init --environment <env> --cluster <cluster> --service <service> [options]
       shipgate contract check <env> <service> [--config <file>] [--sandbox]

init   reads a running ECS service (DescribeServices, its task definition, its load balancers' target groups
       and listener rules, CloudWatch alarms) and prints its deploy contract as JSON, checked as a release
       checks it (schema, the config's repository, the rollout planned against the config).
       --write writes it to SSM at <contractsPrefix>/<env>/services/<name>, the parameter Shipgate reads;
       an existing, different contract is kept (and the differences printed) unless --force.
check  validates the contract in SSM against the live service, one line per check (contract, service,
       controller, container, load-balancer, roles, alarms, codedeploy); exits 1 naming the failed checks.

  --environment <env>        Shipgate environment (in the config)
  --cluster <cluster>        ECS cluster name or ARN
  --service <service>        ECS service name or ARN
  --name <service>           Shipgate service (key of services in the config; default: --service's name)
  --container <name>         container Shipgate deploys (default: the load balancer's, else the one running
                             the config's ECR repository, else the only essential one)
  --smoke-url <url>          where Verify reaches the service (default: the production listener's URL;
                             required for a service without a load balancer)
  --test-url <url>           the test listener's URL (blue/green; default: read from the test listener)
  --smoke-path <path>        readiness path (default: the target group's health check path, else /readyz)
  --codedeploy-application <name>, --codedeploy-group <name>
                             CodeDeploy application and deployment group (services deployed by CodeDeploy)
  --write                    write the contract to SSM instead of printing it
  --force                    with --write: replace an existing, different contract
  --config <file>            shipgate.config.yaml (default: SHIPGATE_CONFIG, else ./shipgate.config.yaml)
  --sandbox                  use the running sandbox's AWS endpoint (AWS_ENDPOINT_URL, else
                             http://127.0.0.1:$SHIPGATE_AWS_PORT, 4566)

AWS credentials and region come from the SDK's usual chain (AWS_PROFILE, AWS_REGION, …). An environment with
aws: { account, deployRole, externalId } is read with its deploy role, assumed with STS as Shipgate does.
`;

const OPTIONS = {
  environment: { type: 'string' },
  cluster: { type: 'string' },
  service: { type: 'string' },
  name: { type: 'string' },
  container: { type: 'string' },
  'smoke-url': { type: 'string' },
  'test-url': { type: 'string' },
  'smoke-path': { type: 'string' },
  'codedeploy-application': { type: 'string' },
  'codedeploy-group': { type: 'string' },
  write: { type: 'boolean' },
  force: { type: 'boolean' },
  config: { type: 'string' },
  sandbox: { type: 'boolean' },
} as const;

/** Where the AWS calls go: the sandbox with `--sandbox`, else AWS through the SDK's default chain. */
export function awsBase(sandbox: boolean | undefined, env: NodeJS.ProcessEnv): AwsBase {
  return sandbox ? sandboxAws(env) : { region: env.AWS_REGION ?? env.AWS_DEFAULT_REGION };
}

/** Every client a contract command uses, for one environment (its deploy role when it has `aws`). */
export async function clientsFor(
  config: ShipgateConfig,
  environment: string,
  base: AwsBase,
): Promise<CheckClients & { via: string }> {
  const { config: settings, via } = await environmentAws(getEnvironment(config, environment), base);
  return {
    ...liveClients(settings),
    ssm: new SSMClient(settings),
    codeDeploy: new CodeDeployClient(settings),
    via,
  };
}

/** `key: before → after` for each top-level key that differs between two contracts. */
export function contractDiff(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return (
    keys
      // Key-sorted: Terraform's `jsonencode` sorts keys, `contract init` writes them in schema order.
      .filter((k) => canonicalJson(before[k]) !== canonicalJson(after[k]))
      .map(
        (k) =>
          `  ${k}: ${JSON.stringify(before[k]) ?? '(absent)'} → ${JSON.stringify(after[k]) ?? '(absent)'}`,
      )
  );
}

function required(value: string | undefined, flag: string): string {
  if (!value) throw new UsageError(`--${flag} is required`);
  return value;
}

/** Writes the contract unless a different one is there and `force` is not set. Returns the exit code. */
async function writeContract(
  ssm: Pick<SSMClient, 'send'>,
  name: string,
  contract: DeployContract,
  force: boolean,
  out: (s: string) => void,
  err: (s: string) => void,
): Promise<number> {
  let existing: string | undefined;
  try {
    existing = (await ssm.send(new GetParameterCommand({ Name: name }))).Parameter?.Value;
  } catch (e) {
    if ((e as Error).name !== 'ParameterNotFound') throw e;
  }
  if (existing !== undefined) {
    let before: Record<string, unknown>;
    try {
      before = JSON.parse(existing) as Record<string, unknown>;
    } catch {
      before = { '(not JSON)': existing.slice(0, 60) };
    }
    const diff = contractDiff(before, contract as unknown as Record<string, unknown>);
    if (diff.length === 0) {
      out(`${name} already holds this contract; nothing written\n`);
      return 0;
    }
    if (!force) {
      err(
        `shipgate contract init: ${name} already holds a different contract; nothing written. Differences (SSM → read from AWS):\n${diff.join('\n')}\nPass --force to replace it.\n`,
      );
      return 1;
    }
    err(`replacing ${name}:\n${diff.join('\n')}\n`);
  }
  await ssm.send(
    new PutParameterCommand({
      Name: name,
      Value: JSON.stringify(contract),
      Type: 'String',
      Overwrite: existing !== undefined,
      Description: `Shipgate deploy contract (shipgate contract init)`,
    }),
  );
  out(`wrote ${name}\n`);
  return 0;
}

/** `shipgate contract init|check`. */
export async function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  io: { out?: (s: string) => void; err?: (s: string) => void } = {},
): Promise<number> {
  const out = io.out ?? ((s: string) => process.stdout.write(s));
  const err = io.err ?? ((s: string) => process.stderr.write(s));
  let parsed: ReturnType<typeof parseCommand<typeof OPTIONS>>;
  try {
    parsed = parseCommand(args, OPTIONS, 3);
  } catch (e) {
    err(`shipgate contract: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    out(USAGE);
    return 0;
  }
  const [sub, ...rest] = positionals;
  try {
    if (sub === 'init') {
      if (rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
      if (values.force && !values.write) throw new UsageError('--force only applies with --write');
      const service = required(values.service, 'service');
      const request: ContractInitRequest = {
        environment: required(values.environment, 'environment'),
        cluster: required(values.cluster, 'cluster'),
        service,
        name: values.name ?? service.split('/').pop()!,
        container: values.container,
        smokeUrl: values['smoke-url'],
        testUrl: values['test-url'],
        smokePath: values['smoke-path'],
        codeDeployApplication: values['codedeploy-application'],
        codeDeployGroup: values['codedeploy-group'],
      };
      for (const [flag, v] of [
        ['smoke-url', request.smokeUrl],
        ['test-url', request.testUrl],
      ] as const) {
        if (v !== undefined && !/^https?:\/\/[^/]/.test(v)) {
          throw new UsageError(
            `--${flag} must be an http(s) URL such as https://api.example.com; received "${v}"`,
          );
        }
      }
      if (request.smokePath !== undefined && !request.smokePath.startsWith('/')) {
        throw new UsageError(`--smoke-path must start with "/"; received "${request.smokePath}"`);
      }
      const config = loadConfig(values.config, env);
      const clients = await clientsFor(config, request.environment, awsBase(values.sandbox, env));
      const { contract, notes } = await contractFromService(clients, config, request);
      for (const note of notes) err(`note: ${note}\n`);
      if (!values.write) {
        out(`${JSON.stringify(contract, null, 2)}\n`);
        return 0;
      }
      const name = contractParameterName(config.contractsPrefix, request.environment, request.name);
      return await writeContract(clients.ssm, name, contract, values.force ?? false, out, err);
    }
    if (sub === 'check') {
      const [environment, service, extra] = rest;
      if (!environment || !service) throw new UsageError('contract check needs <env> and <service>');
      if (extra) throw new UsageError(`unexpected argument "${extra}"`);
      const config = loadConfig(values.config, env);
      const clients = await clientsFor(config, environment, awsBase(values.sandbox, env));
      out(`${environment}/${service} (${clients.via})\n`);
      const lines = await checkContract(clients, config, environment, service, { sandbox: values.sandbox });
      for (const line of lines) out(`${formatCheck(line)}\n`);
      const failed = lines.filter((l) => l.status === 'fail').map((l) => l.name);
      if (failed.length) {
        err(`shipgate contract check: ${environment}/${service} failed: ${failed.join(', ')}\n`);
        return 1;
      }
      return 0;
    }
    throw new UsageError(
      sub ? `unknown sub-command "${sub}" (init, check)` : 'which sub-command? (init, check)',
    );
  } catch (e) {
    if (e instanceof UsageError) {
      err(`shipgate contract: ${e.message}\n\n${USAGE}`);
      return 2;
    }
    err(`shipgate contract ${sub}: ${(e as Error).message}\n`);
    return 1;
  }
}
