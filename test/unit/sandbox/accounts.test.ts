import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FUNCTIONS_KEYS, sandboxAdminKeys } from '../../../sandbox/aws/accounts';
import { createEmulators, type Emulators } from '../../../sandbox/aws/emulators';
import type { EventBridgeEvent } from '../../../sandbox/aws/eventbridge';
import { matchesPattern } from '../../../sandbox/aws/event-buses';
import type { SdkIntegration } from '../../../sandbox/aws/sfn';
import { handleSts } from '../../../sandbox/aws/sts';
import { demoManifest } from '../../../sandbox/demo';

/**
 * The sandbox's accounts without a server: keys → accounts, STS's trust checks and answers, cross-account
 * pulls through the repository policy, and EventBridge forwarding between accounts.
 */

const PRODUCTION = '222222222222';
const ROLE = `arn:aws:iam::${PRODUCTION}:role/shipgate-deploy`;
let dir: string;
let emulators: Emulators;
let delivered: EventBridgeEvent[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'shipgate-accounts-'));
  delivered = [];
  emulators = createEmulators({
    stateDir: dir,
    sink: (e) => delivered.push(e),
    sdk: {} as SdkIntegration,
    phaseMs: 5,
    accounts: [PRODUCTION],
  });
  emulators.accounts.putRole({
    arn: ROLE,
    trusted: ['arn:aws:iam::000000000000:role/shipgate-functions'],
    externalId: 'ext-1',
  });
});
afterEach(() => {
  emulators.close();
  rmSync(dir, { recursive: true, force: true });
});

const form = (params: Record<string, string>) =>
  new URLSearchParams({ Version: '2011-06-15', ...params }).toString();
const assume = (params: Record<string, string>, signer = FUNCTIONS_KEYS.accessKeyId) =>
  handleSts(
    form({ Action: 'AssumeRole', RoleArn: ROLE, RoleSessionName: 's1', ExternalId: 'ext-1', ...params }),
    { accessKeyId: signer },
    emulators.accounts,
  );

describe('emulated STS', () => {
  it('answers AssumeRole with ASIA keys of the role account, as the STS API reference shows', () => {
    const answer = assume({ DurationSeconds: '900' });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatch(
      /^<AssumeRoleResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/,
    );
    const key = /<AccessKeyId>(ASIA[A-Z0-9]{16})<\/AccessKeyId>/.exec(answer.body)![1];
    const token = /<SessionToken>([^<]+)<\/SessionToken>/.exec(answer.body)![1];
    expect(answer.body).toContain(`<Arn>arn:aws:sts::${PRODUCTION}:assumed-role/shipgate-deploy/s1</Arn>`);
    expect(emulators.accounts.identify(key, token).account).toBe(PRODUCTION);
    expect(() => emulators.accounts.identify(key, 'wrong')).toThrow(
      /security token included in the request is invalid/,
    );
  });

  const assumeWith = (params: Record<string, string>, signer: string) =>
    handleSts(
      form({ Action: 'AssumeRole', RoleSessionName: 's1', ...params }),
      { accessKeyId: signer },
      emulators.accounts,
    );

  it.each([
    ['a wrong external id', { RoleArn: ROLE, ExternalId: 'ext-2' }, FUNCTIONS_KEYS.accessKeyId],
    ['no external id', { RoleArn: ROLE }, FUNCTIONS_KEYS.accessKeyId],
    [
      'a caller the trust policy does not name',
      { RoleArn: ROLE, ExternalId: 'ext-1' },
      sandboxAdminKeys('000000000000').accessKeyId,
    ],
    [
      'a role that does not exist',
      { RoleArn: `arn:aws:iam::${PRODUCTION}:role/nobody`, ExternalId: 'ext-1' },
      FUNCTIONS_KEYS.accessKeyId,
    ],
  ])('refuses %s with 403 AccessDenied', (_what, params, signer) => {
    const answer = assumeWith(params, signer);
    expect(answer.status).toBe(403);
    expect(answer.body).toContain('<Code>AccessDenied</Code>');
    expect(answer.body).toMatch(
      /is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::222222222222:role\//,
    );
  });

  it("validates as the model says: session name, duration, the role's MaxSessionDuration", () => {
    expect(assume({ RoleSessionName: 'x' }).body).toContain('<Code>ValidationError</Code>');
    expect(assume({ RoleSessionName: 'has space' }).body).toContain('<Code>ValidationError</Code>');
    expect(assume({ DurationSeconds: '899' }).body).toMatch(/ValidationError.*between 900 and 43200/s);
    expect(assume({ DurationSeconds: '7200' }).body).toContain(
      'exceeds the MaxSessionDuration set for this role',
    );
  });

  it('takes an inline session policy that is a JSON policy document of at most 2,048 characters', () => {
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: ['ssm:GetParameter'], Resource: '*' }],
    });
    expect(assume({ Policy: policy }).body).toContain('<AccessKeyId>ASIA');
    expect(assume({ Policy: 'not json' }).body).toContain('<Code>MalformedPolicyDocument</Code>');
    expect(assume({ Policy: policy.padEnd(2049, ' ') }).body).toMatch(
      /ValidationError.*less than or equal to 2048/s,
    );
  });

  it('answers GetCallerIdentity, and InvalidClientTokenId for an unknown key', () => {
    const me = handleSts(
      form({ Action: 'GetCallerIdentity' }),
      { accessKeyId: sandboxAdminKeys(PRODUCTION).accessKeyId },
      emulators.accounts,
    );
    expect(me.body).toContain(`<Account>${PRODUCTION}</Account>`);
    const stranger = handleSts(
      form({ Action: 'GetCallerIdentity' }),
      { accessKeyId: 'AKIANOBODY0000000000' },
      emulators.accounts,
    );
    expect(stranger.status).toBe(403);
    expect(stranger.body).toContain('<Code>InvalidClientTokenId</Code>');
  });
});

describe('cross-account pulls and events', () => {
  function productionTaskDefinition() {
    const { ecr } = emulators;
    ecr.createRepository({ repositoryName: 'inventory-app' });
    const put = ecr.putImage({
      repositoryName: 'inventory-app',
      imageTag: 't1',
      imageManifest: demoManifest('inventory-app', 'a'.repeat(40), {}),
    }) as {
      image: { imageId: { imageDigest: string } };
    };
    const image = `000000000000.dkr.ecr.us-east-1.amazonaws.com/inventory-app@${put.image.imageId.imageDigest}`;
    const ecs = emulators.inAccount(PRODUCTION).ecs;
    const td = ecs.operations.RegisterTaskDefinition({
      family: 'f',
      containerDefinitions: [{ name: 'app', image }],
    }) as {
      taskDefinition: { taskDefinitionArn: string };
    };
    return { ecs, arn: td.taskDefinition.taskDefinitionArn };
  }

  it("runs an image of Shipgate's registry in another account only while the repository policy lets it pull", () => {
    const { ecs, arn } = productionTaskDefinition();
    expect(arn).toMatch(/^arn:aws:ecs:us-east-1:222222222222:task-definition\/f:1$/);
    expect(ecs.canStart(arn)).toBe(false); // no policy: CannotPullContainerError
    emulators.ecr.operations.SetRepositoryPolicy({
      repositoryName: 'inventory-app',
      policyText: JSON.stringify({
        Statement: [
          {
            Effect: 'Allow',
            Principal: { AWS: [`arn:aws:iam::${PRODUCTION}:root`] },
            Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          },
        ],
      }),
    });
    expect(ecs.canStart(arn)).toBe(true);
    emulators.ecr.operations.DeleteRepositoryPolicy({ repositoryName: 'inventory-app' });
    expect(ecs.canStart(arn)).toBe(false);
    expect(() => emulators.ecr.operations.GetRepositoryPolicy({ repositoryName: 'inventory-app' })).toThrow(
      /Repository policy does not exist/,
    );
  });

  it("forwards another account's events to Shipgate's bus only with a rule there and a policy here, keeping the account", () => {
    const ctx = { region: 'us-east-1', accountId: PRODUCTION };
    const event: EventBridgeEvent = {
      version: '0',
      id: 'e1',
      'detail-type': 'ECS Deployment State Change',
      source: 'aws.ecs',
      account: PRODUCTION,
      time: '2026-12-07T06:00:00Z',
      region: 'us-east-1',
      resources: ['arn:aws:ecs:us-east-1:222222222222:service/c/s'],
      detail: {},
    };
    const ops = emulators.events.operations;
    ops.PutRule({ Name: 'fwd', EventPattern: JSON.stringify({ source: ['aws.ecs'] }) }, ctx);
    ops.PutTargets(
      { Rule: 'fwd', Targets: [{ Id: 't', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' }] },
      ctx,
    );
    emulators.events.put(PRODUCTION, event);
    expect(delivered).toEqual([]); // no bus policy yet
    ops.PutPermission(
      { StatementId: 'prod', Principal: PRODUCTION, Action: 'events:PutEvents' },
      { region: 'us-east-1', accountId: '000000000000' },
    );
    emulators.events.put(PRODUCTION, event);
    expect(delivered).toEqual([event]);
    expect(delivered[0].account).toBe(PRODUCTION);
    expect(() => ops.DeleteRule({ Name: 'fwd' }, ctx)).toThrow(/has targets/);
    emulators.events.put(PRODUCTION, { ...event, source: 'aws.codedeploy' });
    expect(delivered).toHaveLength(1); // the pattern does not match
  });

  it('matches event patterns as EventBridge does: arrays list values, objects nest', () => {
    expect(
      matchesPattern(
        { source: ['aws.ecs'], detail: { eventName: ['X'] } },
        { source: 'aws.ecs', detail: { eventName: 'X' } },
      ),
    ).toBe(true);
    expect(
      matchesPattern(
        { source: ['aws.ecs'], detail: { eventName: ['X'] } },
        { source: 'aws.ecs', detail: { eventName: 'Y' } },
      ),
    ).toBe(false);
    expect(matchesPattern({ resources: ['r1'] }, { resources: ['r0', 'r1'] })).toBe(true);
  });
});
