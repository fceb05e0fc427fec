import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { ecs as processEcs } from '../../../lambdas/shared/clients/ecs';
import {
  assumedRoleCredentials,
  resetAssumedRoles,
  roleSessionName,
} from '../../../lambdas/shared/clients/assume-role';
import { resetEnvironmentClients } from '../../../lambdas/shared/clients/environment';
import { forEnvironment, rolloutDeps, loadContract } from '../../../lambdas/domain/rollout/deps';
import { describeService } from '../../../lambdas/domain/rollout/deploy';
import { originMismatch } from '../../../lambdas/domain/rollout/event-origin';
import { readContract } from '../../../lambdas/domain/resolve/resolve';
import { contractFor, testConfig } from './harness';

/**
 * One AWS account per environment (issue 29): every ECS/SSM call made for an environment with `aws` uses
 * credentials of its deploy role (STS AssumeRole with its external id) in its region; the others keep the
 * process's own clients and credentials.
 */

const ROLE = 'arn:aws:iam::222222222222:role/shipgate-deploy';
const config = testConfig({
  environments: [
    { name: 'staging', approval: { approvers: ['ada'], allowSelfApproval: true } },
    {
      name: 'production',
      aws: { account: '222222222222', region: 'eu-central-1', deployRole: ROLE, externalId: 'shipgate-prod' },
      approval: { approvers: ['ada'], allowSelfApproval: true },
    },
  ],
});
const sts = mockClient(STSClient);
const ecsMock = mockClient(ECSClient);
const ssmMock = mockClient(SSMClient);
let now = Date.parse('2026-12-07T06:00:00Z');

function stsAnswers() {
  let n = 0;
  sts.on(AssumeRoleCommand).callsFake(() => {
    n += 1;
    return {
      Credentials: {
        AccessKeyId: `ASIAPRODUCTION0000${n}`,
        SecretAccessKey: `secret-${n}`,
        SessionToken: `token-${n}`,
        Expiration: new Date(now + 900_000),
      },
    };
  });
}

beforeEach(() => {
  sts.reset();
  ecsMock.reset();
  ssmMock.reset();
  resetAssumedRoles();
  resetEnvironmentClients();
  now = Date.parse('2026-12-07T06:00:00Z');
  jest.spyOn(Date, 'now').mockImplementation(() => now);
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'shipgate-start-rollout';
  // The function's own (execution role) credentials, as Lambda passes them.
  process.env.AWS_REGION = 'us-east-1'; // Shipgate's own region, as Lambda sets it
  process.env.AWS_ACCESS_KEY_ID = 'ASIAFUNCTIONROLE0000';
  process.env.AWS_SECRET_ACCESS_KEY = 'function-secret';
  stsAnswers();
  ecsMock
    .on(DescribeServicesCommand)
    .resolves({ services: [{ serviceName: 'storefront', status: 'ACTIVE' }] });
});
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.AWS_LAMBDA_FUNCTION_NAME;
  delete process.env.AWS_ACCESS_KEY_ID;
  delete process.env.AWS_REGION;
  delete process.env.AWS_SECRET_ACCESS_KEY;
});

const plan = (environment: string) => ({
  cluster: `shop-${environment}`,
  ecsService: 'storefront',
  service: 'storefront',
  environment,
});

/**
 * The credentials an ECS call is signed with: the client's resolved provider, which the signing middleware
 * calls (aws-sdk-client-mock replaces `send`, so the test calls it as the middleware would).
 */
async function credentialsOf(call: number) {
  const client = ecsMock.call(call).thisValue as ECSClient;
  return { client, credentials: await client.config.credentials(), region: await client.config.region() };
}

describe('per-environment AWS clients', () => {
  it("assumes production's deploy role with its external id and a session name naming the function", async () => {
    const deps = rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' });
    await describeService(plan('production'), forEnvironment(deps, 'production'));
    await credentialsOf(0);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    expect(sts.commandCalls(AssumeRoleCommand)[0].args[0].input).toEqual({
      RoleArn: ROLE,
      ExternalId: 'shipgate-prod',
      RoleSessionName: 'shipgate-start-rollout',
      DurationSeconds: 900,
    });
  });

  it("signs production's ECS calls with the assumed credentials in its region, staging's with the process's", async () => {
    const deps = rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' });
    await describeService(plan('production'), forEnvironment(deps, 'production'));
    await describeService(plan('staging'), forEnvironment(deps, 'staging'));

    const production = await credentialsOf(0);
    expect(production.credentials).toMatchObject({
      accessKeyId: 'ASIAPRODUCTION00001',
      secretAccessKey: 'secret-1',
      sessionToken: 'token-1',
    });
    expect(production.region).toBe('eu-central-1');
    expect(ecsMock.call(0).args[0].input).toEqual({ cluster: 'shop-production', services: ['storefront'] });

    const staging = await credentialsOf(1);
    expect(staging.client).toBe(processEcs);
    expect(staging.credentials.accessKeyId).toBe('ASIAFUNCTIONROLE0000');
    expect(staging.region).toBe('us-east-1');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1); // staging assumed nothing
  });

  it("reads production's contract with the deploy role (rollout and resolve), staging's with the process's", async () => {
    ssmMock.on(GetParameterCommand).callsFake((input: { Name: string }) => ({
      Parameter: { Value: JSON.stringify(contractFor(input.Name.split('/').at(-2)!, 'storefront')) },
    }));
    const deps = rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' });
    await loadContract('production', 'storefront', forEnvironment(deps, 'production'));
    await readContract('production', 'storefront', { config });
    await readContract('staging', 'storefront', { config });
    const creds = await Promise.all(
      ssmMock.calls().map((c) => (c.thisValue as SSMClient).config.credentials()),
    );
    expect(creds.map((c) => c.accessKeyId)).toEqual([
      'ASIAPRODUCTION00001',
      'ASIAPRODUCTION00001',
      'ASIAFUNCTIONROLE0000',
    ]);
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1); // one role, one AssumeRole, shared
  });

  it('narrows the session to the actions the stack gave the function (inline session policy)', async () => {
    process.env.SHIPGATE_DEPLOY_ROLE_ACTIONS = 'ecs:DescribeServices,ecs:UpdateService';
    try {
      const deps = rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' });
      await describeService(plan('production'), forEnvironment(deps, 'production'));
      await credentialsOf(0);
      expect(JSON.parse(sts.commandCalls(AssumeRoleCommand)[0].args[0].input.Policy!)).toEqual({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Action: ['ecs:DescribeServices', 'ecs:UpdateService'], Resource: '*' },
        ],
      });
    } finally {
      delete process.env.SHIPGATE_DEPLOY_ROLE_ACTIONS;
    }
  });

  it('reuses the credentials until shortly before they expire, then assumes the role again', async () => {
    const deps = forEnvironment(
      rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' }),
      'production',
    );
    await describeService(plan('production'), deps);
    expect((await credentialsOf(0)).credentials.accessKeyId).toBe('ASIAPRODUCTION00001');
    now += 9 * 60_000; // 6 of 15 minutes left: still good
    await describeService(plan('production'), deps);
    expect((await credentialsOf(1)).credentials.accessKeyId).toBe('ASIAPRODUCTION00001');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(1);
    now += 2 * 60_000; // 4 minutes left: renewed
    await describeService(plan('production'), deps);
    expect((await credentialsOf(2)).credentials.accessKeyId).toBe('ASIAPRODUCTION00002');
    expect(sts.commandCalls(AssumeRoleCommand)).toHaveLength(2);
  });

  it('fails with AssumeRoleError naming the role and the external id when STS refuses', async () => {
    sts.on(AssumeRoleCommand).rejects(
      Object.assign(
        new Error(
          'User: arn:aws:sts::000000000000:assumed-role/x is not authorized to perform: sts:AssumeRole',
        ),
        {
          name: 'AccessDenied',
        },
      ),
    );
    const deps = rolloutDeps({ config, ddb: {} as never, sfn: {} as never, table: 't' });
    await describeService(plan('production'), forEnvironment(deps, 'production'));
    const failure = credentialsOf(0);
    await expect(failure).rejects.toMatchObject({ name: 'AssumeRoleError' });
    await expect(failure).rejects.toThrow(/shipgate-deploy.*AccessDenied.*"shipgate-prod"/s);
    // Not cached: the next call asks STS again.
    sts.reset();
    stsAnswers();
    expect((await credentialsOf(0)).credentials.accessKeyId).toBe('ASIAPRODUCTION00001');
  });

  it('gives a caller that waited on a failed AssumeRole credentials of a new one, never nothing', async () => {
    let n = 0;
    sts.on(AssumeRoleCommand).callsFake(async () => {
      n += 1;
      await new Promise((r) => setTimeout(r, 10)); // both callers wait on the first
      if (n === 1) throw Object.assign(new Error('Rate exceeded'), { name: 'Throttling' });
      return {
        Credentials: {
          AccessKeyId: 'ASIAPRODUCTION00002',
          SecretAccessKey: 'secret-2',
          SessionToken: 'token-2',
          Expiration: new Date(now + 900_000),
        },
      };
    });
    const provider = assumedRoleCredentials({ deployRole: ROLE, externalId: 'shipgate-prod' });
    const [first, second] = await Promise.allSettled([provider(), provider()]);
    expect(first).toMatchObject({ status: 'rejected', reason: { name: 'AssumeRoleError' } });
    expect(second).toMatchObject({ status: 'fulfilled', value: { accessKeyId: 'ASIAPRODUCTION00002' } });
  });

  it("keeps RoleSessionName within STS's 64 characters of [\\w+=,.@-]", () => {
    expect(roleSessionName('shipgate-rollout-events')).toBe('shipgate-rollout-events');
    const long = roleSessionName(`ShipgateStack-RolloutEvents${'X'.repeat(80)}:alias`);
    expect(long.length).toBeLessThanOrEqual(64);
    expect(long).toMatch(/^shipgate-[\w+=,.@-]+$/);
  });
});

describe('which account an event comes from', () => {
  it("takes production's events only from its account and region", () => {
    expect(
      originMismatch({ account: '222222222222', region: 'eu-central-1' }, 'production', config),
    ).toBeUndefined();
    expect(originMismatch({ account: '333333333333', region: 'eu-central-1' }, 'production', config)).toMatch(
      /account 333333333333.*"production" is in account 222222222222/,
    );
    expect(originMismatch({ account: '222222222222', region: 'us-east-1' }, 'production', config)).toMatch(
      /us-east-1/,
    );
  });

  it("does not take an event of production's account for a staging rollout of the same cluster name", () => {
    expect(originMismatch({ account: '222222222222', region: 'eu-central-1' }, 'staging', config)).toMatch(
      /account of environment "production"/,
    );
    expect(
      originMismatch({ account: '000000000000', region: 'us-east-1' }, 'staging', config),
    ).toBeUndefined();
  });
});
