import { ddb } from '../shared/clients/dynamodb';
import { SSMClient } from '@aws-sdk/client-ssm';
import { clientForEnvironment, environmentAws } from '../shared/clients/environment';
import { ssm } from '../shared/clients/ssm';
import { getConfig } from '../shared/config';
import { tableName } from '../shared/env';
import { verifyTestTraffic, type HookAnswer } from '../domain/verify/test-traffic';

/**
 * Shipgate's ECS lifecycle hook (Lambda, invoked by ECS at POST_TEST_TRAFFIC_SHIFT of BLUE_GREEN / LINEAR /
 * CANARY deployments): smoke check on the test listener; answers `{ hookStatus: SUCCEEDED | FAILED }`.
 */
export const handler = async (event: unknown): Promise<HookAnswer> => {
  const config = getConfig();
  return verifyTestTraffic(event, {
    ssm,
    // Contracts of an environment with its own account are read there, with its deploy role.
    environmentSsm: (environment) =>
      clientForEnvironment(SSMClient, ssm, environmentAws(config, environment)),
    ddb,
    table: tableName(),
    config,
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
};
