import { GetParameterCommand, PutParameterCommand } from '@aws-sdk/client-ssm';
import { AssumeRoleCommand } from '@aws-sdk/client-sts';
import { DescribeServicesCommand } from '@aws-sdk/client-ecs';
import { parseConfig } from '../../../lambdas/shared/config';
import { deployContractSchema } from '../../../lambdas/shared/contract';
import { contractDiff, run } from '../../../src/cli/contract';
import {
  billingService,
  DEPLOY_ROLE,
  INFRA_ROLE,
  mockLiveService,
  RULE_PROD,
  RULE_TEST,
  TG_GREEN,
  twoAccountConfigJson,
} from '../../helpers/live-service-fixture';

const PARAM = '/shipgate/production/services/billing-app';

async function cli(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await run(
    args,
    { SHIPGATE_CONFIG_JSON: twoAccountConfigJson(), AWS_REGION: 'us-east-1', ...env },
    {
      out: (s) => (out += s),
      err: (s) => (err += s),
    },
  );
  return { code, out, err };
}

const INIT = ['init', '--environment', 'production', '--cluster', 'prod', '--service', 'billing-app'];

describe('shipgate contract init', () => {
  let mocks: ReturnType<typeof mockLiveService>;
  beforeEach(() => {
    mocks = mockLiveService();
  });
  afterEach(() => mocks.reset());

  it('reads a blue/green service in its own account into a contract the schema and the config accept', async () => {
    const { code, out, err } = await cli(INIT);
    expect(err).not.toMatch(/shipgate contract/);
    expect(code).toBe(0);
    const contract = deployContractSchema.parse(JSON.parse(out));
    expect(contract).toEqual({
      version: 1,
      cluster: 'prod',
      service: 'billing-app',
      containerName: 'app',
      containerPort: 8080,
      strategy: 'CANARY',
      codeDeploy: null,
      blueGreen: {
        alternateTargetGroupArn: TG_GREEN,
        productionListenerRuleArn: RULE_PROD,
        testListenerRuleArn: RULE_TEST,
        infrastructureRoleArn: INFRA_ROLE,
        testUrl: 'https://billing.example.com:8443',
      },
      lifecycleHooks: [],
      smokeUrl: 'https://billing.example.com',
      smokePath: '/healthz',
      alarms: ['billing-5xx', 'billing-latency'],
      repository: 'billing-app',
    });
    // Every note says where a value came from; the unrelated alarm is not picked up.
    expect(err).toContain("smokePath /healthz: the target group's health check path");
    expect(err).toContain('alarm billing-latency: its metric AWS/ApplicationELB/TargetResponseTime');
    expect(out).not.toContain('other-cpu');
    // Auto scaling's alarm on the service is left out, and the note says why.
    expect(out).not.toContain('TargetTracking-');
    expect(err).toContain(
      'left out alarm TargetTracking-service/prod/billing-app-AlarmLow-0f3e: it drives Application Auto Scaling',
    );
    // The environment lives in 222222222222: its deploy role was assumed with the external id.
    expect(mocks.sts).toHaveReceivedCommandWith(AssumeRoleCommand, {
      RoleArn: DEPLOY_ROLE,
      ExternalId: 'shipgate-test',
    });
    expect(mocks.ecs).toHaveReceivedCommandWith(DescribeServicesCommand, {
      cluster: 'prod',
      services: ['billing-app'],
    });
    // The config still validates as `config check` does.
    expect(() => parseConfig(JSON.parse(twoAccountConfigJson()))).not.toThrow();
  });

  it('names the flag to pass when a rolling service has no load balancer (same account: no role assumed)', async () => {
    mocks.reset();
    mocks = mockLiveService(
      billingService({ loadBalancers: [], deploymentConfiguration: { strategy: 'ROLLING' } }),
    );
    const args = ['init', '--environment', 'staging', '--cluster', 'prod', '--service', 'billing-app'];
    const { code, err, out } = await cli(args);
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toMatch(/has no load balancer.*pass --smoke-url/);
    expect(mocks.sts).not.toHaveReceivedAnyCommand();

    const given = await cli([...args, '--smoke-url', 'https://billing.staging.example.com']);
    expect(given.code).toBe(0);
    expect(JSON.parse(given.out)).toMatchObject({
      strategy: 'ROLLING',
      blueGreen: null,
      smokeUrl: 'https://billing.staging.example.com',
      smokePath: '/readyz',
      alarms: [],
    });
    expect(given.err).toContain(
      'smokePath /readyz: the default, nothing in AWS names one (--smoke-path to change)',
    );
  });

  it("keeps the infrastructure's Lambda hooks and leaves out Shipgate's own verify hook", async () => {
    mocks.reset();
    const hook = (fn: string, stages: ('POST_SCALE_UP' | 'POST_TEST_TRAFFIC_SHIFT')[]) => ({
      hookTargetArn: `arn:aws:lambda:eu-west-1:222222222222:function:${fn}`,
      roleArn: 'arn:aws:iam::222222222222:role/ecs-hooks',
      lifecycleStages: stages,
    });
    const base = billingService();
    mocks = mockLiveService({
      ...base,
      deploymentConfiguration: {
        ...base.deploymentConfiguration,
        lifecycleHooks: [
          hook('warm-caches', ['POST_SCALE_UP']),
          hook('Shipgate-VerifyHookProductionHook12AB34CD-Xy9', ['POST_TEST_TRAFFIC_SHIFT']),
          { targetType: 'PAUSE', lifecycleStages: ['PRE_PRODUCTION_TRAFFIC_SHIFT'] },
        ],
      },
    });
    const { code, out, err } = await cli(INIT);
    expect(code).toBe(0);
    expect(JSON.parse(out).lifecycleHooks).toEqual([hook('warm-caches', ['POST_SCALE_UP'])]);
    expect(err).toContain("Shipgate's own verify hook, which it adds at each deployment");
  });

  it('refuses a container that runs another ECR repository than the config names', async () => {
    const { code, err } = await cli([...INIT, '--name', 'inventory-app']);
    expect(code).toBe(1);
    expect(err).toContain(
      'from ECR repository "billing-app", but the config has services.inventory-app.repository = "inventory-app"',
    );
  });

  it('stops with the role and STS answer when the deploy role cannot be assumed, calling nothing in the account', async () => {
    mocks.sts
      .on(AssumeRoleCommand)
      .rejects(
        Object.assign(new Error('not authorized to perform sts:AssumeRole'), { name: 'AccessDenied' }),
      );
    const { code, err } = await cli(INIT);
    expect(code).toBe(1);
    expect(err).toContain(`cannot assume ${DEPLOY_ROLE} for environment "production"`);
    expect(err).toContain('AccessDenied');
    expect(mocks.ecs).not.toHaveReceivedAnyCommand();
  });

  it('writes a new contract to the parameter Shipgate reads with --write', async () => {
    const { code, out } = await cli([...INIT, '--write']);
    expect(code).toBe(0);
    expect(out).toBe(`wrote ${PARAM}\n`);
    expect(mocks.ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: PARAM,
      Type: 'String',
      Overwrite: false,
    });
    const written = mocks.ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!;
    expect(deployContractSchema.parse(JSON.parse(written)).strategy).toBe('CANARY');
  });

  it('keeps an existing different contract and says what differs, unless --force', async () => {
    const { out } = await cli(INIT);
    const old = { ...JSON.parse(out), containerPort: 9090, smokePath: '/ready' };
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAM, Value: JSON.stringify(old) } });
    const refused = await cli([...INIT, '--write']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain('already holds a different contract; nothing written');
    expect(refused.err).toContain('containerPort: 9090 → 8080');
    expect(refused.err).toContain('smokePath: "/ready" → "/healthz"');
    expect(mocks.ssm).not.toHaveReceivedCommand(PutParameterCommand);

    const forced = await cli([...INIT, '--write', '--force']);
    expect(forced.code).toBe(0);
    expect(mocks.ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: PARAM, Overwrite: true });
  });

  it('writes nothing when the same contract is already there', async () => {
    const { out } = await cli(INIT);
    mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: PARAM, Value: JSON.stringify(JSON.parse(out)) } });
    const again = await cli([...INIT, '--write']);
    expect(again.code).toBe(0);
    expect(again.out).toContain('already holds this contract; nothing written');
    expect(mocks.ssm).not.toHaveReceivedCommand(PutParameterCommand);
  });

  it('is a usage error (exit 2) without --cluster, with --force alone, or with a bad --smoke-url', async () => {
    expect((await cli(['init', '--environment', 'production', '--service', 'x'])).err).toContain(
      '--cluster is required',
    );
    expect((await cli([...INIT, '--force'])).code).toBe(2);
    const bad = await cli([...INIT, '--smoke-url', 'billing.example.com']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--smoke-url must be an http(s) URL');
    expect(mocks.ecs).not.toHaveReceivedAnyCommand();
  });
});

describe('shipgate contract check', () => {
  let mocks: ReturnType<typeof mockLiveService>;
  let contract: string;
  beforeAll(async () => {
    mocks = mockLiveService();
    contract = (await cli(INIT)).out;
    mocks.reset();
  });
  beforeEach(() => {
    mocks = mockLiveService();
    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAM, Value: contract } });
  });
  afterEach(() => mocks.reset());

  it('passes every check of a contract that matches the live service', async () => {
    const { code, out } = await cli(['check', 'production', 'billing-app']);
    expect(code).toBe(0);
    expect(out).toContain(`production/billing-app (${DEPLOY_ROLE})`);
    for (const name of [
      'contract',
      'service',
      'controller',
      'container',
      'load-balancer',
      'roles',
      'alarms',
    ]) {
      expect(out).toMatch(new RegExp(`^ok +${name} `, 'm'));
    }
    expect(out).toMatch(/^skip +codedeploy +not a CodeDeploy service/m);
  });

  it('names each failing check and exits 1: a missing alarm, another container, another test rule', async () => {
    const changed = {
      ...JSON.parse(contract),
      alarms: ['billing-5xx', 'gone-alarm'],
      containerName: 'web',
      blueGreen: { ...JSON.parse(contract).blueGreen, testListenerRuleArn: RULE_PROD },
    };
    mocks.ssm
      .on(GetParameterCommand)
      .resolves({ Parameter: { Name: PARAM, Value: JSON.stringify(changed) } });
    const { code, out, err } = await cli(['check', 'production', 'billing-app']);
    expect(code).toBe(1);
    expect(out).toMatch(/^fail +alarms +CloudWatch has no alarm gone-alarm/m);
    expect(out).toMatch(/^fail +container +task definition billing-app:7 has no container "web"/m);
    expect(out).toMatch(
      /^fail +load-balancer +test listener rule: contract .*9683b2d02a6cabee, service .*1bd9a3a0fa5d1c1a/m,
    );
    expect(err).toBe(
      'shipgate contract check: production/billing-app failed: container, load-balancer, alarms\n',
    );
  });

  it('fails "contract" when the parameter is missing and "service" when the service is gone', async () => {
    mocks.ssm.on(GetParameterCommand).rejects(Object.assign(new Error('x'), { name: 'ParameterNotFound' }));
    const missing = await cli(['check', 'production', 'billing-app']);
    expect(missing.code).toBe(1);
    expect(missing.out).toMatch(
      /^fail +contract +Deploy contract \/shipgate\/production\/services\/billing-app is missing/m,
    );

    mocks.ssm.on(GetParameterCommand).resolves({ Parameter: { Name: PARAM, Value: contract } });
    mocks.ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ reason: 'MISSING' }] });
    const gone = await cli(['check', 'production', 'billing-app']);
    expect(gone.code).toBe(1);
    expect(gone.out).toMatch(
      /^fail +service +ECS cluster "prod" has no active service "billing-app" \(MISSING\)/m,
    );
  });
});

describe('contractDiff', () => {
  it('ignores the order of keys (Terraform writes them sorted) and names what differs', () => {
    const ours = { blueGreen: { testUrl: 'https://t', alternateTargetGroupArn: 'tg' }, alarms: ['a'] };
    const terraform = { alarms: ['a'], blueGreen: { alternateTargetGroupArn: 'tg', testUrl: 'https://t' } };
    expect(contractDiff(terraform, ours)).toEqual([]);
    expect(contractDiff(terraform, { ...ours, alarms: ['b'] })).toEqual(['  alarms: ["a"] → ["b"]']);
  });
});
