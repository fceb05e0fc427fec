import { parseConfig, setConfigForTesting, type ShipgateConfig } from '../../../lambdas/shared/config';
import { FAKE_SIGNING_KEY, FAKE_WEBHOOK_TOKEN } from '../../helpers/gitlab-deliveries';

/** Configuration of the webhook tests: the three sample projects, billing-app also releasing tags. */
export const TEST_CONFIG: ShipgateConfig = parseConfig({
  version: 1,
  projects: [
    { path: 'root/api-gateway', services: ['api-gateway'] },
    { path: 'root/inventory-app', services: ['inventory-app'] },
    {
      path: 'root/billing-app',
      services: ['billing-app'],
      release: { branch: 'default', requireProtected: true, tags: '^v\\d+\\.\\d+\\.\\d+$' },
    },
  ],
  services: {
    'api-gateway': { repository: 'api-gateway' },
    'inventory-app': { repository: 'inventory-app' },
    'billing-app': { repository: 'billing-app' },
  },
  approvers: { alice: { name: 'Alice' }, bob: { name: 'Bob' } },
  environments: [
    { name: 'staging', approval: { approvers: ['alice', 'bob'] } },
    { name: 'production', approval: { approvers: ['alice', 'bob'], quorum: 2 } },
  ],
});

/** State machine ARN of the tests. */
export const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release';

/** Execution ARN Step Functions gives `name` under the test state machine. */
export const executionArn = (name: string) =>
  `arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:${name}`;

/** Environment the HTTP tests run with; secrets are fake. */
export function useTestEnvironment(
  secrets: { token?: string; signingKey?: string } = { token: FAKE_WEBHOOK_TOKEN },
): void {
  process.env.SHIPGATE_TABLE = 'shipgate-test';
  process.env.SHIPGATE_STATE_MACHINE_ARN = STATE_MACHINE_ARN;
  process.env.SHIPGATE_PUBLIC_URL = 'https://shipgate.example.test';
  delete process.env.SHIPGATE_CONSOLE_URL;
  for (const [variable, value] of [
    ['SHIPGATE_WEBHOOK_TOKEN', secrets.token],
    ['SHIPGATE_WEBHOOK_SIGNING_KEY', secrets.signingKey],
  ] as const) {
    delete process.env[`${variable}_SECRET_ARN`];
    if (value) process.env[variable] = value;
    else delete process.env[variable];
  }
  setConfigForTesting(TEST_CONFIG);
}

export { FAKE_SIGNING_KEY, FAKE_WEBHOOK_TOKEN };
