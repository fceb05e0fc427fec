import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import {
  DescribeClustersCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import {
  DeleteRuleCommand,
  EventBridgeClient,
  ListRulesCommand,
  PutPermissionCommand,
  PutRuleCommand,
  PutTargetsCommand,
  RemovePermissionCommand,
  RemoveTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { DescribeExecutionCommand, GetExecutionHistoryCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parse, stringify } from 'yaml';
import { FUNCTIONS_KEYS, sandboxAdminKeys } from '../../../sandbox/aws/accounts';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { FORWARD_PATTERN, FORWARD_RULE, busStatementId } from '../../../sandbox/seed-accounts';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox, writeTestConfig } from './sandbox-process';
import { credentials, tempDir, waitFor } from './support';

/**
 * Issue 29, "The sandbox has two accounts": production lives in account 222222222222 (the example config's
 * `environments[].aws`). The functions reach it only through the deploy role (emulated STS AssumeRole with the
 * external id), its ECS events reach Shipgate's bus in 000000000000 through the forwarding rule and the bus
 * policy, and its ECS pulls the digest from Shipgate's registry through the repository policy.
 */
describe('sandbox: production in its own account (222222222222)', () => {
  const tmp = tempDir();
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  const PRODUCTION = '222222222222';
  const ROLE = `arn:aws:iam::${PRODUCTION}:role/shipgate-deploy`;
  const EXTERNAL_ID = 'shipgate-production-deploys';
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  const client = (
    keys: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = credentials,
  ) => ({
    endpoint,
    region: 'us-east-1',
    credentials: keys,
    maxAttempts: 1,
  });
  const productionAdmin = () => client(sandboxAdminKeys(PRODUCTION));

  beforeAll(async () => {
    const file = writeTestConfig(tmp.dir);
    const config = parse(readFileSync(file, 'utf8')) as {
      environments: { name: string; aws?: Record<string, string> }[];
      services: Record<string, { environments?: Record<string, unknown> }>;
    };
    expect(config.environments.find((e) => e.name === 'production')?.aws).toMatchObject({
      account: PRODUCTION,
      deployRole: ROLE,
      externalId: EXTERNAL_ID,
    });
    // A canary in production (no pause: pause-flow covers those) so an image can fail there only.
    config.services['inventory-app'].environments = {
      production: { strategy: 'CANARY', canaryPercent: 20, bakeTime: '1m' },
    };
    writeFileSync(file, stringify(config));
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token, { configFile: file }));
    await sandbox.start();
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    tmp.cleanup();
  });

  const assumeDeployRole = async (externalId = EXTERNAL_ID, keys = FUNCTIONS_KEYS) => {
    const out = await new STSClient(client(keys)).send(
      new AssumeRoleCommand({
        RoleArn: ROLE,
        RoleSessionName: 'shipgate-accounts-test',
        ExternalId: externalId,
        DurationSeconds: 900,
      }),
    );
    const c = out.Credentials!;
    return {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    };
  };

  async function push(service: string, annotations: Record<string, string> = {}) {
    const sha = randomBytes(20).toString('hex');
    const manifest = demoManifest(service, sha, annotations);
    await new ECRClient(client()).send(
      new PutImageCommand({ repositoryName: service, imageTag: sha, imageManifest: manifest }),
    );
    return { sha, digest: `sha256:${createHash('sha256').update(manifest).digest('hex')}` };
  }

  async function release(service: string, sha: string, pipelineId: number) {
    const payload = pipelinePayload({ id: pipelineId, sha });
    const res = await fetch(`${url}/webhooks/gitlab`, deliveryInit(gitlabDelivery(payload, { token })));
    expect(res.status).toBe(202);
    return ((await res.json()) as { executionArn: string }).executionArn;
  }

  async function approve(executionArn: string, environment: string, votes: number) {
    const pending = await waitFor(
      `approval links for ${environment}`,
      async () => {
        const res = await fetch(`${url}/_sandbox/api/approvals`);
        const { approvals } = (await res.json()) as {
          approvals: {
            executionArn: string;
            environment: string;
            reviewUrl?: string;
            approvers: { approver: string; voted: boolean }[];
          }[];
        };
        return approvals.find(
          (a) => a.executionArn === executionArn && a.environment === environment && a.reviewUrl,
        );
      },
      60000,
    );
    for (const p of pending.approvers.filter((x) => !x.voted).slice(0, votes)) {
      expect(await decideAs(pending.reviewUrl!, p.approver, 'approve', 'ok')).toBe(200);
    }
  }

  const settled = (executionArn: string) =>
    waitFor(
      `execution ${executionArn} to finish`,
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      120000,
    );

  async function runningImage(
    keys: Parameters<typeof client>[0],
    cluster: string,
    service = 'inventory-app',
  ) {
    const ecs = new ECSClient(client(keys));
    const svc = (await ecs.send(new DescribeServicesCommand({ cluster, services: [service] }))).services![0];
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
    return { serviceArn: svc.serviceArn!, image: td.taskDefinition!.containerDefinitions![0].image! };
  }

  const events = async () =>
    (
      (await (await fetch(`${url}/_sandbox/api/events`)).json()) as {
        events: { id: string; account: string; 'detail-type': string; resources: string[] }[];
      }
    ).events;

  it('maps keys to accounts: each account has its own resources; unknown keys are refused as AWS refuses them', async () => {
    const who = async (keys: Parameters<typeof client>[0]) =>
      new STSClient(client(keys)).send(new GetCallerIdentityCommand({}));
    expect(await who(FUNCTIONS_KEYS)).toMatchObject({
      Account: '000000000000',
      Arn: 'arn:aws:sts::000000000000:assumed-role/shipgate-functions/shipgate-sandbox',
    });
    expect(await who(sandboxAdminKeys(PRODUCTION))).toMatchObject({
      Account: PRODUCTION,
      Arn: `arn:aws:iam::${PRODUCTION}:user/sandbox-admin`,
    });
    // Production's cluster, contract and alarms are in 222222222222, not in Shipgate's account.
    const inOwn = await new ECSClient(client()).send(
      new DescribeClustersCommand({ clusters: ['shipgate-production'] }),
    );
    expect(inOwn.failures?.[0]?.reason).toBe('MISSING');
    const inProduction = await new ECSClient(productionAdmin()).send(
      new DescribeClustersCommand({ clusters: ['shipgate-production'] }),
    );
    expect(inProduction.clusters?.[0]?.clusterArn).toBe(
      `arn:aws:ecs:us-east-1:${PRODUCTION}:cluster/shipgate-production`,
    );
    const contract = await new SSMClient(productionAdmin()).send(
      new GetParameterCommand({ Name: '/shipgate/production/services/inventory-app' }),
    );
    expect(contract.Parameter?.ARN).toBe(
      `arn:aws:ssm:us-east-1:${PRODUCTION}:parameter/shipgate/production/services/inventory-app`,
    );
    await expect(
      new SSMClient(client()).send(
        new GetParameterCommand({ Name: '/shipgate/production/services/inventory-app' }),
      ),
    ).rejects.toMatchObject({ name: 'ParameterNotFound' });
    // Unknown keys: the JSON services and STS answer as AWS does.
    const stranger = { accessKeyId: 'AKIAUNKNOWNKEY000000', secretAccessKey: 'x' };
    await expect(
      new ECSClient(client(stranger)).send(new DescribeClustersCommand({ clusters: ['shipgate-staging'] })),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException', $metadata: { httpStatusCode: 400 } });
    await expect(who(stranger)).rejects.toMatchObject({
      name: 'InvalidClientTokenId',
      $metadata: { httpStatusCode: 403 },
    });
  });

  it("lets only Shipgate's functions assume the deploy role, with the external id", async () => {
    const assumed = await assumeDeployRole();
    expect(assumed.accessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(await new STSClient(client(assumed)).send(new GetCallerIdentityCommand({}))).toMatchObject({
      Account: PRODUCTION,
      Arn: `arn:aws:sts::${PRODUCTION}:assumed-role/shipgate-deploy/shipgate-accounts-test`,
    });
    // The session's keys are production's: they see its cluster, not staging's.
    const seen = await new ECSClient(client(assumed)).send(
      new DescribeClustersCommand({ clusters: ['shipgate-production', 'shipgate-staging'] }),
    );
    expect(seen.clusters?.map((c) => c.clusterName)).toEqual(['shipgate-production']);
    // A wrong external id, or a caller the trust policy does not name, is AccessDenied (403).
    await expect(assumeDeployRole('someone-elses-id')).rejects.toMatchObject({
      name: 'AccessDenied',
      $metadata: { httpStatusCode: 403 },
    });
    await expect(assumeDeployRole(EXTERNAL_ID, credentials)).rejects.toMatchObject({
      name: 'AccessDenied',
      message: expect.stringContaining('is not authorized to perform: sts:AssumeRole on resource'),
    });
    // Without its session token, a session key is unknown.
    await expect(
      new ECSClient(
        client({ accessKeyId: assumed.accessKeyId, secretAccessKey: assumed.secretAccessKey }),
      ).send(new DescribeClustersCommand({ clusters: ['shipgate-production'] })),
    ).rejects.toMatchObject({ name: 'UnrecognizedClientException' });
  });

  let good: { sha: string; digest: string };

  it("takes a release to production's account: its service runs the new digest, seen with the deploy role's keys", async () => {
    good = await push('inventory-app');
    const arn = await release('inventory-app', good.sha, 9901);
    await approve(arn, 'staging', 1);
    await approve(arn, 'production', 2);
    const done = await settled(arn);
    expect({ status: done.status, cause: done.cause }).toEqual({ status: 'SUCCEEDED', cause: undefined });
    const production = await runningImage(await assumeDeployRole(), 'shipgate-production');
    expect(production.image).toMatch(
      new RegExp(`^000000000000\\.dkr\\.ecr\\.us-east-1\\.amazonaws\\.com/inventory-app@${good.digest}$`),
    );
    expect(production.serviceArn).toBe(
      `arn:aws:ecs:us-east-1:${PRODUCTION}:service/shipgate-production/inventory-app`,
    );
    expect((await runningImage(credentials, 'shipgate-staging')).image).toMatch(
      new RegExp(`@${good.digest}$`),
    );
    // Production's deployment events came through the forwarding rule, with their own account.
    const forwarded = (await events()).filter(
      (e) => e.account === PRODUCTION && e.resources[0] === production.serviceArn,
    );
    expect(forwarded.map((e) => e['detail-type'])).toContain('ECS Deployment State Change');
  }, 180000);

  it('rolls a release back in production when ECS rolls it back there; the event reaches the workflow through the forward', async () => {
    const bad = await push('inventory-app', { 'org.shipgate.sandbox.fail-at': 'BAKE_TIME@production' });
    const arn = await release('inventory-app', bad.sha, 9902);
    await approve(arn, 'staging', 1);
    await approve(arn, 'production', 2);
    const done = await settled(arn);
    expect(done.status).toBe('FAILED');
    expect(`${done.error} ${done.cause}`).toMatch(/RolloutFailed.*production|production.*rolled back/is);
    const h = await new SFNClient(client()).send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }),
    );
    const states = h
      .events!.filter((e) => e.stateEnteredEventDetails)
      .map((e) => e.stateEnteredEventDetails!.name!);
    expect(states).toContain('Deploy production');
    // ECS in 222222222222 went back to the good digest; staging keeps the new one.
    expect((await runningImage(sandboxAdminKeys(PRODUCTION), 'shipgate-production')).image).toMatch(
      new RegExp(`@${good.digest}$`),
    );
    expect((await runningImage(credentials, 'shipgate-staging')).image).toMatch(
      new RegExp(`@${bad.digest}$`),
    );
    const failed = (await events()).filter(
      (e) => e.account === PRODUCTION && e['detail-type'] === 'ECS Deployment State Change',
    );
    expect(failed.length).toBeGreaterThan(0);
  }, 180000);

  it('delivers nothing once the forwarding rule, or the bus policy, is gone', async () => {
    const productionEvents = new EventBridgeClient(productionAdmin());
    const shipgateBus = new EventBridgeClient(client(sandboxAdminKeys('000000000000')));
    const rules = await productionEvents.send(new ListRulesCommand({ NamePrefix: 'shipgate-' }));
    expect(rules.Rules?.map((r) => [r.Name, JSON.parse(r.EventPattern!)])).toEqual([
      [FORWARD_RULE, FORWARD_PATTERN],
    ]);
    const ecs = new ECSClient(productionAdmin());
    /** An operator's redeploy in production; resolves once ECS finished it (its events are out then). */
    const redeploy = async () => {
      const before = new Set((await events()).map((e) => e.id));
      await ecs.send(
        new UpdateServiceCommand({
          cluster: 'shipgate-production',
          service: 'api-gateway',
          forceNewDeployment: true,
        }),
      );
      await waitFor('the redeploy to complete', async () => {
        const svc = (
          await ecs.send(
            new DescribeServicesCommand({ cluster: 'shipgate-production', services: ['api-gateway'] }),
          )
        ).services![0];
        return svc.deployments?.length === 1 && svc.deployments[0].rolloutState === 'COMPLETED'
          ? true
          : undefined;
      });
      return (await events()).filter((e) => !before.has(e.id) && e.account === PRODUCTION);
    };
    expect((await redeploy()).length).toBeGreaterThan(0); // with rule and policy: they arrive

    await productionEvents.send(new RemoveTargetsCommand({ Rule: FORWARD_RULE, Ids: ['shipgate'] }));
    await productionEvents.send(new DeleteRuleCommand({ Name: FORWARD_RULE }));
    expect(await redeploy()).toEqual([]);

    await productionEvents.send(
      new PutRuleCommand({ Name: FORWARD_RULE, EventPattern: JSON.stringify(FORWARD_PATTERN) }),
    );
    await productionEvents.send(
      new PutTargetsCommand({
        Rule: FORWARD_RULE,
        Targets: [{ Id: 'shipgate', Arn: 'arn:aws:events:us-east-1:000000000000:event-bus/default' }],
      }),
    );
    await shipgateBus.send(new RemovePermissionCommand({ StatementId: busStatementId('production') }));
    expect(await redeploy()).toEqual([]);

    await shipgateBus.send(
      new PutPermissionCommand({
        StatementId: busStatementId('production'),
        Principal: PRODUCTION,
        Action: 'events:PutEvents',
      }),
    );
    expect((await redeploy()).length).toBeGreaterThan(0);
  }, 120000);
});
