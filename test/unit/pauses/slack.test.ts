import { mockClient } from 'aws-sdk-client-mock';
import {
  ContinueServiceDeploymentCommand,
  DescribeServiceDeploymentsCommand,
  ECSClient,
} from '@aws-sdk/client-ecs';
import { DescribeExecutionCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { handleSlackInteraction } from '../../../lambdas/domain/approvals/slack-votes';
import { startHarness, TABLE, TEST_CONFIG, type Harness } from '../approvals/harness';

/**
 * Slack app mode for pauses: the "Continue" / "Roll back" buttons of a pause message decide as the approver
 * whose Slack id clicked, with the same rules as the links; the message is replaced through response_url.
 */

const SD_ARN = 'arn:aws:ecs:eu-west-1:000011112222:service-deployment/shop-production/billing-app/slack';
const HOOK = 'ecs-pause-slackHook000000000000000000000000000000000';
let h: Harness;
let ddb: DynamoDBDocumentClient;
const ecs = mockClient(ECSClient);
const sfn = mockClient(SFNClient);

beforeAll(async () => {
  h = await startHarness();
  ddb = DynamoDBDocumentClient.from(
    new DynamoDBClient({ endpoint: process.env.AWS_ENDPOINT_URL_DYNAMODB, region: 'eu-west-1' }),
  );
  const now = Math.floor(Date.now() / 1000);
  await ddb.send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        pk: 'PAUSE#pau_slack',
        sk: 'PAUSE',
        id: 'pau_slack',
        status: 'OPEN',
        executionArn: 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:rel-slack',
        executionUrl: 'https://console.example.test/x',
        environment: 'production',
        service: 'billing-app',
        release: {
          id: 'rel-slack',
          projectPath: 'root/billing-app',
          commitSha: 'a'.repeat(40),
          commitTitle: 'x',
          triggeredBy: { username: 'dana' },
        },
        digest: `sha256:${'b'.repeat(64)}`,
        stage: 'POST_TEST_TRAFFIC_SHIFT',
        hookId: HOOK,
        serviceDeploymentArn: SD_ARN,
        clusterName: 'shop-production',
        serviceName: 'billing-app-slack',
        policy: {
          approvers: [
            { key: 'alice', name: 'Alice', slack: 'U01ALICE01' },
            { key: 'bob', name: 'Bob', slack: 'U01BOB0001' },
          ],
          quorum: 1,
          timeoutSeconds: 1800,
          onTimeout: 'ROLLBACK',
          allowSelfApproval: false,
        },
        facts: { step: 'x', smoke: [], alarms: [], weights: {} },
        votes: {},
        continueCount: 0,
        createdAt: new Date().toISOString(),
        expiresAt: now + 1800,
        ttl: now + 86400,
      },
    }),
  );
  await ddb.send(
    new PutCommand({
      TableName: TABLE,
      Item: {
        pk: 'ROLLOUT#shop-production#billing-app-slack',
        sk: 'ROLLOUT',
        attempt: 'a',
        status: 'IN_PROGRESS',
        taskToken: 'tok-slack',
        pause: { hookId: HOOK, stage: 'POST_TEST_TRAFFIC_SHIFT', seenAt: 'x', pauseId: 'pau_slack' },
      },
    }),
  );
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });
  sfn.on(SendTaskSuccessCommand).resolves({});
  ecs.on(DescribeServiceDeploymentsCommand).resolves({
    serviceDeployments: [
      {
        serviceDeploymentArn: SD_ARN,
        status: 'IN_PROGRESS',
        lifecycleHookDetails: [{ hookId: HOOK, targetType: 'PAUSE', status: 'AWAITING_ACTION' }],
      },
    ],
  });
  ecs.on(ContinueServiceDeploymentCommand).resolves({ serviceDeploymentArn: SD_ARN });
});
afterAll(async () => h.close());

const click = (user: string, action: 'pause_continue' | 'pause_rollback') =>
  handleSlackInteraction(
    {
      type: 'block_actions',
      user: { id: user },
      actions: [{ action_id: action, value: 'pau_slack' }],
    } as never,
    approvalDeps({ ddb, table: TABLE, config: TEST_CONFIG, sfn: sfn as never }),
    Date.now() + 2000,
  );

test('a Slack user who is not an approver of the pause is refused privately; an approver continues it', async () => {
  const refused = await click('U0STRANGER', 'pause_continue');
  expect(refused.outcome).toBe('refused');
  expect(refused.reply).toMatchObject({ response_type: 'ephemeral' });
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(0);

  const voted = await click('U01BOB0001', 'pause_continue');
  expect(voted.outcome).toBe('voted');
  expect(voted.reply).toMatchObject({ replace_original: true });
  expect(voted.reply!.text).toContain('Continued by Bob');
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)[0].args[0].input).toEqual({
    serviceDeploymentArn: SD_ARN,
    hookId: HOOK,
    action: 'CONTINUE',
  });
  const item = (
    await ddb.send(new GetCommand({ TableName: TABLE, Key: { pk: 'PAUSE#pau_slack', sk: 'PAUSE' } }))
  ).Item!;
  expect(item.votes.bob).toMatchObject({ decision: 'continue', via: 'slack', identity: 'slack:U01BOB0001' });
  // Decided: a later click is refused and changes nothing.
  const late = await click('U01ALICE01', 'pause_rollback');
  expect(late.outcome).toBe('refused');
  expect(ecs.commandCalls(ContinueServiceDeploymentCommand)).toHaveLength(1);
});
