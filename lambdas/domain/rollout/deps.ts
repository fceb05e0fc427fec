import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { codeDeploy } from '../../shared/clients/codedeploy';
import { ddb } from '../../shared/clients/dynamodb';
import { ecs } from '../../shared/clients/ecs';
import { clientForEnvironment, environmentAws } from '../../shared/clients/environment';
import { sfn } from '../../shared/clients/sfn';
import { ssm } from '../../shared/clients/ssm';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { contractParameterName, deployContractSchema, type DeployContract } from '../../shared/contract';
import { tableName } from '../../shared/env';
import { ContractError } from '../../shared/errors';

/** The clients of the calls made for one environment (its services, deployments and contracts). */
export interface EnvironmentClients {
  ecs: ECSClient;
  codeDeploy: CodeDeployClient;
  ssm: SSMClient;
}

/** Everything the rollout domain talks to; tests pass their own, Lambdas take the defaults. */
export interface RolloutDeps {
  /**
   * ECS, CodeDeploy and SSM of the environment at hand once {@link forEnvironment} bound `deps` to it;
   * Shipgate's own account's before that.
   */
  ecs: ECSClient;
  codeDeploy: CodeDeployClient;
  ddb: DynamoDBDocumentClient;
  sfn: SFNClient;
  ssm: SSMClient;
  /**
   * The clients of an environment: for one with its own account (`environments[].aws`), clients in its
   * region with its deploy role's credentials; for the others, Shipgate's own. Tests that pass `ecs`,
   * `codeDeploy` or `ssm` get those for every environment unless they pass this too.
   */
  environmentClients: (environment: string) => EnvironmentClients;
  config: ShipgateConfig;
  /** DynamoDB table name. */
  table: string;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

/**
 * Fills in the process defaults (shared clients, `getConfig()`, `SHIPGATE_TABLE`) for what the caller
 * did not pass.
 * @example const deps = rolloutDeps({ ecs: myEcs });
 */
export function rolloutDeps(overrides: Partial<RolloutDeps> = {}): RolloutDeps {
  const config = overrides.config ?? getConfig();
  const own: EnvironmentClients = {
    ecs: overrides.ecs ?? ecs,
    codeDeploy: overrides.codeDeploy ?? codeDeploy,
    ssm: overrides.ssm ?? ssm,
  };
  const injected = Boolean(overrides.ecs ?? overrides.codeDeploy ?? overrides.ssm);
  return {
    ...own,
    ddb: overrides.ddb ?? ddb,
    sfn: overrides.sfn ?? sfn,
    environmentClients:
      overrides.environmentClients ??
      (injected ? () => own : (environment) => environmentClientsOf(config, environment, own)),
    config,
    table: overrides.table ?? tableName(),
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

/**
 * The process clients for an environment: Shipgate's own (`own`) when it has no `aws`, else clients of its
 * account and region with its deploy role's credentials (one per role, kept for the process).
 */
export function environmentClientsOf(
  config: ShipgateConfig,
  environment: string,
  own: EnvironmentClients,
): EnvironmentClients {
  const aws = environmentAws(config, environment);
  if (!aws) return own;
  return {
    ecs: clientForEnvironment(ECSClient, own.ecs, aws),
    codeDeploy: clientForEnvironment(CodeDeployClient, own.codeDeploy, aws),
    ssm: clientForEnvironment(SSMClient, own.ssm, aws),
  };
}

/**
 * `deps` bound to `environment`: its `ecs`, `codeDeploy` and `ssm` are that environment's clients (see
 * {@link RolloutDeps.environmentClients}). Every domain entry that acts for an environment binds first.
 * @example const envDeps = forEnvironment(deps, record.environment);
 */
export function forEnvironment<D extends Pick<RolloutDeps, 'environmentClients'>>(
  deps: D,
  environment: string,
): D {
  return { ...deps, ...deps.environmentClients(environment) };
}

/**
 * Reads and validates the deploy contract Terraform published for (environment, service).
 * @throws ContractError naming the parameter when it is missing, not JSON, or not a valid contract.
 */
export async function loadContract(
  environment: string,
  service: string,
  deps: Pick<RolloutDeps, 'ssm' | 'config'>,
): Promise<DeployContract> {
  const name = contractParameterName(deps.config.contractsPrefix, environment, service);
  let value: string | undefined;
  try {
    const out = await deps.ssm.send(new GetParameterCommand({ Name: name }));
    value = out.Parameter?.Value;
  } catch (err) {
    if ((err as Error).name === 'ParameterNotFound') {
      throw new ContractError(
        `No deploy contract for service "${service}" in "${environment}": SSM parameter ${name} does not exist. Apply the Terraform environment that publishes it (terraform/environments/${environment}).`,
        { cause: err },
      );
    }
    throw err;
  }
  if (!value) {
    throw new ContractError(`Deploy contract ${name} is empty; expected a JSON document.`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch (err) {
    throw new ContractError(`Deploy contract ${name} is not valid JSON: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const parsed = deployContractSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ContractError(`Deploy contract ${name} is invalid: ${issues}`);
  }
  return parsed.data;
}

/** Last segment of an ECS ARN (`arn:aws:ecs:…:cluster/name` → `name`), or the value itself when it is a name. */
export function resourceName(nameOrArn: string): string {
  if (!nameOrArn.startsWith('arn:')) return nameOrArn;
  const resource = nameOrArn.split(':').slice(5).join(':');
  const parts = resource.split('/');
  return parts[parts.length - 1];
}

/** Short form of a task definition ARN for messages (`family:revision`). */
export function shortTaskDefinition(arn: string | undefined): string {
  if (!arn) return '(unknown)';
  return arn.startsWith('arn:') ? arn.slice(arn.lastIndexOf('/') + 1) : arn;
}
