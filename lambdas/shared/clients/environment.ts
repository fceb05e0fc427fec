import type { EnvironmentAws, ShipgateConfig } from '../config';
import { assumedRoleCredentials } from './assume-role';
import { clientConfig } from './config';

/**
 * The AWS SDK client to use for calls made *for an environment* (its ECS services, contracts, alarms,
 * CodeDeploy groups). An environment without `aws` lives in Shipgate's own account and region: `base`, the
 * process-wide client, is used. An environment with `aws` gets a client of the same class in its region
 * whose credentials are its deploy role's (STS `AssumeRole` with the external id, see assume-role.ts); one
 * client per class, role and region, created on first use and kept for the process.
 *
 * The class is passed in (not imported here) so a bundle carries only the SDK clients it calls.
 * @example const envEcs = clientForEnvironment(ECSClient, ecs, environment.aws);
 */
export function clientForEnvironment<C>(
  Client: new (config: typeof clientConfig & Record<string, unknown>) => C,
  base: C,
  aws: EnvironmentAws | undefined,
): C {
  if (!aws) return base;
  let byKey = clients.get(Client);
  if (!byKey) clients.set(Client, (byKey = new Map()));
  const key = `${aws.deployRole}\n${aws.externalId}\n${aws.region ?? ''}`;
  let client = byKey.get(key) as C | undefined;
  if (!client) {
    client = new Client({
      ...clientConfig,
      ...(aws.region ? { region: aws.region } : {}),
      credentials: assumedRoleCredentials(aws),
    });
    byKey.set(key, client);
  }
  return client;
}

/** `environments[].aws` of the named environment (`undefined`: it lives in Shipgate's own account). */
export function environmentAws(
  config: Pick<ShipgateConfig, 'environments'>,
  environment: string,
): EnvironmentAws | undefined {
  return config.environments.find((e) => e.name === environment)?.aws;
}

const clients = new Map<unknown, Map<string, unknown>>();

/** Forgets the environment clients (tests that change credentials or endpoints between cases). */
export function resetEnvironmentClients(): void {
  clients.clear();
}
