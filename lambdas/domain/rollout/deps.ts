import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { codeDeploy } from '../../shared/clients/codedeploy';
import { ddb } from '../../shared/clients/dynamodb';
import { ecs } from '../../shared/clients/ecs';
import { clientForEnvironment, environmentAws } from '../../shared/clients/environment';
import { sfn } from '../../shared/clients/sfn';
import { ssm } from '../../shared/clients/ssm';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { tableName } from '../../shared/env';

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

export { loadContract, resourceName, shortTaskDefinition } from './contract';
