import { randomBytes } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeServicesCommand, DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import { ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { parse, stringify } from 'yaml';
import { deployContractSchema } from '../../../lambdas/shared/contract';
import { decideAs, demoManifest } from '../../../sandbox/demo';
import { run as configCli } from '../../../src/cli/config';
import { run as contractCli } from '../../../src/cli/contract';
import { run as doctorCli } from '../../../src/cli/doctor';
import { run as gitlabCli } from '../../../src/cli/gitlab';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { deliveryInit, gitlabDelivery, pipelinePayload } from '../../helpers/gitlab-deliveries';
import { SandboxProcess, testSandbox } from './sandbox-process';
import { credentials, environmentCredentials, tempDir, waitFor } from './support';

/**
 * Adopting a service that already runs, against a running sandbox (`shipgate dev` in a child process):
 * `contract init` reads the sandbox's ECS service and writes its contract, `config check` accepts the config,
 * a release deploys with that contract, `contract check` agrees, and `doctor` passes, then names the part
 * that is broken.
 */
describe('sandbox: contract init / check and doctor', () => {
  const tmp = tempDir('shipgate-adopt-');
  const token = `test-token-${randomBytes(8).toString('hex')}`;
  let sandbox: SandboxProcess;
  let url: string;
  let endpoint: string;
  let configFile: string;
  let gitlab: FakeGitlab;
  const client = () => ({ endpoint, region: 'us-east-1', credentials, maxAttempts: 2 });

  /** Runs a CLI command in this process, as `npx shipgate …` would, against the sandbox. */
  async function cli(
    command: typeof contractCli,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const base = {
      PORT: new URL(url).port,
      SHIPGATE_AWS_PORT: new URL(endpoint).port,
      SHIPGATE_CONFIG: configFile,
      PATH: process.env.PATH,
    };
    // `config check` and `gitlab hooks` print to stdout themselves: captured too, so the run stays quiet.
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      out += String(chunk);
      return true;
    }) as typeof process.stdout.write;
    let code: number;
    try {
      code = await command(args, { ...base, ...env }, { out: (s) => (out += s), err: (s) => (err += s) });
    } finally {
      process.stdout.write = write;
    }
    return { code, out, err };
  }

  beforeAll(async () => {
    ({ sandbox, url, endpoint } = await testSandbox(tmp.dir, token));
    configFile = join(tmp.dir, 'shipgate.config.yaml');
    gitlab = await startFakeGitlab();
    ['root/api-gateway', 'root/inventory-app', 'root/billing-app'].forEach((path, i) =>
      gitlab.addProject({ id: 10 + i, path_with_namespace: path, default_branch: 'main' }),
    );
    await sandbox.start();
  }, 90000);

  afterAll(async () => {
    await sandbox?.stop();
    await gitlab?.stop();
    tmp.cleanup();
  });

  const INIT = [
    'init',
    '--sandbox',
    '--environment',
    'staging',
    '--cluster',
    'shipgate-staging',
    '--service',
    'inventory-app',
  ];
  const PARAM = '/shipgate/staging/services/inventory-app';

  it('writes the contract read from the running service, which config check accepts and a release deploys with', async () => {
    // Without a load balancer the sandbox's service has no URL AWS could tell: the error names the flag.
    const noUrl = await cli(contractCli, INIT);
    expect(noUrl.code).toBe(1);
    expect(noUrl.err).toContain('pass --smoke-url');

    // A hand-written contract that a release could not use stands where Shipgate reads it.
    const ssm = new SSMClient(client());
    await ssm.send(
      new PutParameterCommand({ Name: PARAM, Value: '{"version":1}', Type: 'String', Overwrite: true }),
    );
    const smokeUrl = `${url}/_sandbox/services/staging/inventory-app`;
    const refused = await cli(contractCli, [...INIT, '--smoke-url', smokeUrl, '--write']);
    expect(refused.code).toBe(1);
    expect(refused.err).toContain(`${PARAM} already holds a different contract; nothing written`);
    expect(refused.err).toContain('cluster: (absent) → "shipgate-staging"');
    const written = await cli(contractCli, [...INIT, '--smoke-url', smokeUrl, '--write', '--force']);
    expect(written.err).not.toContain('shipgate contract init:');
    expect(written.code).toBe(0);
    expect(written.out).toBe(`wrote ${PARAM}\n`);

    const stored = (await ssm.send(new GetParameterCommand({ Name: PARAM }))).Parameter!.Value!;
    expect(deployContractSchema.parse(JSON.parse(stored))).toMatchObject({
      cluster: 'shipgate-staging',
      service: 'inventory-app',
      containerName: 'inventory-app',
      containerPort: 8080,
      strategy: 'ROLLING',
      smokeUrl,
      smokePath: '/readyz',
      repository: 'inventory-app',
    });
    expect((await cli(configCli, ['check', configFile])).code).toBe(0);
    const check = await cli(contractCli, ['check', 'staging', 'inventory-app', '--sandbox']);
    expect(check.code).toBe(0);
    expect(check.out).toMatch(/^ok +container +"inventory-app" on port 8080/m);

    // A release deploys to staging with the written contract (production keeps its seeded one).
    const sha = randomBytes(20).toString('hex');
    const put = await new ECRClient(client()).send(
      new PutImageCommand({
        repositoryName: 'inventory-app',
        imageTag: sha,
        imageManifest: demoManifest('inventory-app', sha, {}),
      }),
    );
    const digest = put.image!.imageId!.imageDigest!;
    const res = await fetch(
      `${url}/webhooks/gitlab`,
      deliveryInit(gitlabDelivery(pipelinePayload({ id: 9101, sha }), { token })),
    );
    expect(res.status).toBe(202);
    const { executionArn } = (await res.json()) as { executionArn: string };
    for (const [environment, votes] of [
      ['staging', 1],
      ['production', 2],
    ] as const) {
      const pending = await waitFor(`approval links for ${environment}`, async () => {
        const { approvals } = (await (await fetch(`${url}/_sandbox/api/approvals`)).json()) as {
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
      });
      for (const p of pending.approvers.filter((x) => !x.voted).slice(0, votes)) {
        expect(await decideAs(pending.reviewUrl!, p.approver, 'approve', 'looks good')).toBe(200);
      }
    }
    const done = await waitFor(
      'the release to finish',
      async () => {
        const d = await new SFNClient(client()).send(new DescribeExecutionCommand({ executionArn }));
        return d.status === 'RUNNING' ? undefined : d;
      },
      90000,
    );
    expect(done.status).toBe('SUCCEEDED');
    const ecs = new ECSClient(client());
    const svc = (
      await ecs.send(
        new DescribeServicesCommand({ cluster: 'shipgate-staging', services: ['inventory-app'] }),
      )
    ).services![0];
    const td = await ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition: svc.taskDefinition }));
    expect(td.taskDefinition!.containerDefinitions![0].image).toMatch(
      new RegExp(`/inventory-app@${digest}$`),
    );
  }, 150000);

  const gitlabEnv = () => ({
    SHIPGATE_GITLAB_URL: gitlab.url,
    SHIPGATE_GITLAB_TOKEN: gitlab.token,
    SHIPGATE_WEBHOOK_TOKEN: token,
  });

  it('doctor passes on the running sandbox with GitLab and the webhooks in place', async () => {
    const hooks = await cli(gitlabCli, ['hooks', '--url', `${url}/webhooks/gitlab`], gitlabEnv());
    expect(hooks.code).toBe(0);
    const { code, out, err } = await cli(doctorCli, [], gitlabEnv());
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(
      /^ok +gitlab +http:\/\/127\.0\.0\.1:\d+ answers with the token \(user @shipgate-bot\)/m,
    );
    expect(out).toMatch(/^ok +secret:webhookToken +set \(SHIPGATE_WEBHOOK_TOKEN\)/m);
    // Production lives in account 222222222222: doctor assumes its deploy role through the sandbox's STS.
    expect(out).toMatch(
      /^ok +role:production +assumed arn:aws:iam::222222222222:role\/shipgate-deploy \(account 222222222222\)/m,
    );
    expect(out).toMatch(/^ok +role:staging +same account/m);
    for (const env of ['staging', 'production']) {
      for (const service of ['api-gateway', 'inventory-app', 'billing-app']) {
        expect(out).toMatch(new RegExp(`^ok +contract:${env}/${service} `, 'm'));
      }
    }
    for (const project of ['root/api-gateway', 'root/inventory-app', 'root/billing-app']) {
      expect(out).toMatch(
        new RegExp(`^ok +webhook:${project} +hook #\\d+ delivers to ${url}/webhooks/gitlab`, 'm'),
      );
    }
    expect(out).toMatch(/^all \d+ checks passed/m);
  }, 60000);

  it('doctor names a missing secret and a contract that no longer matches its service, and exits 1', async () => {
    // The sandbox's generated secrets are gone from its state dir and none is in the environment.
    const secretsFile = join(tmp.dir, 'secrets.json');
    renameSync(secretsFile, `${secretsFile}.moved`);
    // Production's contracts live in its own account (222222222222).
    const ssm = new SSMClient({ ...client(), credentials: environmentCredentials('production') });
    const billing = '/shipgate/production/services/billing-app';
    const before = (await ssm.send(new GetParameterCommand({ Name: billing }))).Parameter!.Value!;
    await ssm.send(
      new PutParameterCommand({
        Name: billing,
        Value: JSON.stringify({ ...JSON.parse(before), containerName: 'web' }),
        Type: 'String',
        Overwrite: true,
      }),
    );
    try {
      const { code, out, err } = await cli(doctorCli, ['--sandbox'], {
        ...gitlabEnv(),
        SHIPGATE_WEBHOOK_TOKEN: '',
      });
      expect(code).toBe(1);
      expect(out).toMatch(/^fail +secret:webhookToken +not set: SHIPGATE_WEBHOOK_TOKEN or .*secrets\.json/m);
      expect(out).toMatch(/^fail +secret:linkSigningKey +not set/m);
      expect(out).toMatch(
        /^fail +contract:production\/billing-app +failed container \(task definition .* has no container "web"/m,
      );
      expect(err).toMatch(
        /^shipgate doctor: \d+ check\(s\) failed: .*secret:webhookToken, secret:linkSigningKey, contract:production\/billing-app/m,
      );
    } finally {
      renameSync(`${secretsFile}.moved`, secretsFile);
      await ssm.send(
        new PutParameterCommand({ Name: billing, Value: before, Type: 'String', Overwrite: true }),
      );
    }
  }, 60000);

  /**
   * The sandbox's emulated STS refuses the deploy role of production (account 222222222222) when the config
   * carries an external id the role does not trust. The same case with STS mocked runs in
   * test/unit/cli/doctor.test.ts.
   */
  it('doctor names an environment whose deploy role cannot be assumed (sandbox STS)', async () => {
    // The sandbox answers STS: the test's keys are a user of Shipgate's account.
    const me = await new STSClient(client()).send(new GetCallerIdentityCommand({}));
    expect(me.Account).toBe('000000000000');
    const config = parse(readFileSync(configFile, 'utf8')) as { environments: Record<string, unknown>[] };
    config.environments.find((e) => e.name === 'production')!.aws = {
      account: '222222222222',
      deployRole: 'arn:aws:iam::222222222222:role/shipgate-deploy',
      externalId: 'not-the-external-id-the-role-trusts',
    };
    const other = join(tmp.dir, 'two-accounts.yaml');
    writeFileSync(other, stringify(config));
    const { code, out, err } = await cli(doctorCli, ['--sandbox'], {
      ...gitlabEnv(),
      SHIPGATE_CONFIG: other,
    });
    expect(code).toBe(1);
    expect(out).toMatch(
      /^fail +role:production +cannot assume arn:aws:iam::222222222222:role\/shipgate-deploy/m,
    );
    expect(out).toMatch(
      /^fail +contract:production\/billing-app +not checked: the role of production cannot be assumed/m,
    );
    expect(err).toContain('role:production');
  }, 60000);
});
