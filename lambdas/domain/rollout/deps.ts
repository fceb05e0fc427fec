import type { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { codeDeploy } from '../../shared/clients/codedeploy';
import { ddb } from '../../shared/clients/dynamodb';
import { ecs } from '../../shared/clients/ecs';
import { sfn } from '../../shared/clients/sfn';
import { ssm } from '../../shared/clients/ssm';
import { getConfig, type ShipgateConfig } from '../../shared/config';
import { tableName } from '../../shared/env';

/** Everything the rollout domain talks to; tests pass their own, Lambdas take the defaults. */
export interface RolloutDeps {
  ecs: ECSClient;
  codeDeploy: CodeDeployClient;
  ddb: DynamoDBDocumentClient;
  sfn: SFNClient;
  ssm: SSMClient;
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
  return {
    ecs: overrides.ecs ?? ecs,
    codeDeploy: overrides.codeDeploy ?? codeDeploy,
    ddb: overrides.ddb ?? ddb,
    sfn: overrides.sfn ?? sfn,
    ssm: overrides.ssm ?? ssm,
    config: overrides.config ?? getConfig(),
    table: overrides.table ?? tableName(),
    now: overrides.now ?? (() => new Date()),
    sleep: overrides.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
  };
}

export { loadContract, resourceName, shortTaskDefinition } from './contract';
