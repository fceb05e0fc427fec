import { GetParameterCommand, type SSMClient } from '@aws-sdk/client-ssm';
import type { ShipgateConfig } from '../../shared/config';
import { contractParameterName, deployContractSchema, type DeployContract } from '../../shared/contract';
import { ContractError } from '../../shared/errors';

/**
 * Deploy contracts and names of ECS resources: plain helpers with no client of their own, apart from
 * `./deps.ts` (whose process defaults create every rollout client), so a function that only reads a contract
 * or names a task definition carries no ECS, CodeDeploy or Step Functions client (issue 32).
 */

/**
 * Reads and validates the deploy contract Terraform published for (environment, service).
 * @throws ContractError naming the parameter when it is missing, not JSON, or not a valid contract.
 */
export async function loadContract(
  environment: string,
  service: string,
  deps: { ssm: Pick<SSMClient, 'send'>; config: Pick<ShipgateConfig, 'contractsPrefix'> },
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
