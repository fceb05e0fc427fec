import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { setConfigForTesting } from '../../../lambdas/shared/config';
import { startLocalTable, type LocalTable } from '../../helpers/dynalite';
import { contractFor, imageOf, makeRelease, testConfig, token } from './harness';

/**
 * The Lambda entry points with their default wiring: shared clients (endpoints from AWS_ENDPOINT_URL_*),
 * `getConfig()` and `SHIPGATE_TABLE`. DynamoDB is a real dynalite; ECS, SSM and Step Functions are mocked
 * at class level, as the handlers build their own clients.
 */

describe('rollout Lambda handlers (default wiring)', () => {
  let db: LocalTable;
  const ecs = mockClient(ECSClient);
  const ssm = mockClient(SSMClient);
  const sfn = mockClient(SFNClient);
  const saved = { ...process.env };

  beforeAll(async () => {
    db = await startLocalTable('handlers-test');
    Object.assign(process.env, db.lambdaEnv);
    setConfigForTesting(testConfig());
    ssm.on(GetParameterCommand).resolves({
      Parameter: { Value: JSON.stringify(contractFor('staging', 'storefront')) },
    });
    sfn.on(SendTaskFailureCommand).resolves({});
  });
  afterAll(async () => {
    setConfigForTesting(undefined);
    process.env = saved;
    ecs.restore();
    ssm.restore();
    sfn.restore();
    await db.close();
  });

  test('start-rollout turns a missing ECS service into a task failure with a readable cause', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const { handler } = await import('../../../lambdas/steps/start-rollout');
    const result = await handler({
      taskToken: token('h1'),
      executionArn: 'arn:aws:states:eu-west-1:000011112222:execution:shipgate-release:h1',
      environment: 'staging',
      release: makeRelease(),
      image: imageOf('storefront'),
    });
    expect(result).toEqual({ status: 'FAILED', error: 'NotFoundError' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token('h1'),
      error: 'NotFoundError',
      cause: expect.stringContaining('ECS service storefront in cluster shop-staging'),
    });
  });

  test('start-rollout with a malformed payload fails the task when it can, naming the bad field', async () => {
    const { handler } = await import('../../../lambdas/steps/start-rollout');
    await handler({ taskToken: token('h2'), environment: 'staging' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token('h2'),
      error: 'RolloutFailed',
      cause: expect.stringContaining('Invalid rollout step payload: executionArn'),
    });
  });

  test('check-rollout and verify reject malformed payloads with BadRequestError', async () => {
    const check = await import('../../../lambdas/steps/check-rollout');
    await expect(check.handler({ environment: 'staging' })).rejects.toMatchObject({
      name: 'BadRequestError',
      message: expect.stringContaining('Invalid check-rollout payload: release'),
    });
    const verify = await import('../../../lambdas/steps/verify');
    await expect(
      verify.handler({ environment: 'staging', release: makeRelease(), images: [] }),
    ).rejects.toMatchObject({
      name: 'BadRequestError',
    });
  });

  test('rollout-events ignores events it has no rollout for', async () => {
    const { handler } = await import('../../../lambdas/steps/rollout-events');
    await expect(
      handler({
        source: 'aws.ecs',
        'detail-type': 'ECS Deployment State Change',
        resources: ['arn:aws:ecs:eu-west-1:000011112222:service/shop-staging/storefront'],
        detail: { eventName: 'SERVICE_DEPLOYMENT_COMPLETED', deploymentId: 'ecs-svc/1' },
      }),
    ).resolves.toEqual({ action: 'ignored', reason: 'no rollout record for shop-staging/storefront' });
  });
});
