import { ddb } from '../shared/clients/dynamodb';
import { ssm } from '../shared/clients/ssm';
import { getConfig } from '../shared/config';
import { tableName } from '../shared/env';
import { verifyTestTraffic, type HookAnswer } from '../domain/verify/test-traffic';

/**
 * Shipgate's ECS lifecycle hook (Lambda, invoked by ECS at POST_TEST_TRAFFIC_SHIFT of BLUE_GREEN / LINEAR /
 * CANARY deployments): smoke check on the test listener; answers `{ hookStatus: SUCCEEDED | FAILED }`.
 */
export const handler = async (event: unknown): Promise<HookAnswer> =>
  verifyTestTraffic(event, {
    ssm,
    ddb,
    table: tableName(),
    config: getConfig(),
    fetch: globalThis.fetch,
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  });
