import {
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ImageNotFoundException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { GetParameterCommand, ParameterNotFound, SSMClient } from '@aws-sdk/client-ssm';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { resolveRelease } from '../../../lambdas/domain/resolve/resolve';
import { setConfigForTesting } from '../../../lambdas/shared/config';
import { ContractError, ImageNotFoundError } from '../../../lambdas/shared/errors';
import { handler } from '../../../lambdas/steps/resolve-release';
import { testConfig, testRelease } from '../../helpers/local-workflow';

const ecr = mockClient(ECRClient);
const ssm = mockClient(SSMClient);
const ddb = mockClient(DynamoDBDocumentClient);
const config = testConfig();
const input = testRelease();
const sha = input.release.commit.sha;
const digest = (n: number) => `sha256:${String(n).repeat(64)}`;
const registry = '000000000000.dkr.ecr.eu-west-1.amazonaws.com';

const contract = (service: string, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    version: 1,
    cluster: 'acme-staging',
    service,
    containerName: 'app',
    containerPort: 8080,
    strategy: 'ROLLING',
    smokeUrl: `http://${service}.internal.example`,
    repository: `acme/${service}`,
    ...overrides,
  });

/** ECR and SSM holding an image for every service and a valid contract for every (env, service). */
function givenEverythingPublished() {
  ['web', 'orders', 'billing'].forEach((service, i) => {
    ecr.on(DescribeRepositoriesCommand, { repositoryNames: [`acme/${service}`] }).resolves({
      repositories: [{ repositoryName: `acme/${service}`, repositoryUri: `${registry}/acme/${service}` }],
    });
    ecr
      .on(DescribeImagesCommand, { repositoryName: `acme/${service}`, imageIds: [{ imageTag: sha }] })
      .resolves({ imageDetails: [{ imageDigest: digest(i + 1), imageTags: [sha, 'latest'] }] });
    for (const env of ['staging', 'production']) {
      ssm
        .on(GetParameterCommand, { Name: `/shipgate/${env}/services/${service}` })
        .resolves({ Parameter: { Value: contract(service) } });
    }
  });
}

beforeEach(() => {
  ecr.reset();
  ssm.reset();
});

describe('Resolve release refuses a strategy the contract cannot run', () => {
  it('a ROLLING contract with CANARY config fails before any approval, naming the config path and what is missing', async () => {
    givenEverythingPublished();
    const canary = testConfig();
    canary.services.billing.environments.production = { strategy: 'CANARY', canaryPercent: 10 };
    const err = await resolveRelease(input, { config: canary }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as Error).message).toContain(
      'Service "billing" in "production": the config (services.billing.environments.production.strategy) asks for CANARY but the deploy contract (strategy ROLLING) has no blueGreen {alternateTargetGroupArn, productionListenerRuleArn, testListenerRuleArn, infrastructureRoleArn, testUrl}',
    );
  });

  it('accepts it once the contract carries blueGreen', async () => {
    givenEverythingPublished();
    const blueGreen = {
      alternateTargetGroupArn:
        'arn:aws:elasticloadbalancing:eu-west-1:000000000000:targetgroup/billing-alt/1',
      productionListenerRuleArn:
        'arn:aws:elasticloadbalancing:eu-west-1:000000000000:listener-rule/app/a/1/2/3',
      testListenerRuleArn: 'arn:aws:elasticloadbalancing:eu-west-1:000000000000:listener-rule/app/a/1/4/5',
      infrastructureRoleArn: 'arn:aws:iam::000000000000:role/billing-ecs-infrastructure',
      testUrl: 'http://billing.internal.example:8443',
    };
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/production/services/billing' })
      .resolves({ Parameter: { Value: contract('billing', { strategy: 'CANARY', blueGreen }) } });
    const canary = testConfig();
    canary.services.billing.environments.production = { strategy: 'CANARY', canaryPercent: 10 };
    await expect(resolveRelease(input, { config: canary })).resolves.toHaveProperty('images');
  });
});

describe('Resolve release', () => {
  it('pins every service to the digest of the image tagged with the commit SHA', async () => {
    givenEverythingPublished();
    const resolved = await resolveRelease(input, { config, ecr: new ECRClient({}), ssm: new SSMClient({}) });
    expect(resolved.images).toEqual([
      {
        service: 'web',
        repository: 'acme/web',
        digest: digest(1),
        imageUri: `${registry}/acme/web@${digest(1)}`,
      },
      expect.objectContaining({ service: 'orders', digest: digest(2) }),
      expect.objectContaining({ service: 'billing', imageUri: `${registry}/acme/billing@${digest(3)}` }),
    ]);
    expect(ecr).toHaveReceivedCommandWith(DescribeImagesCommand, {
      repositoryName: 'acme/web',
      imageIds: [{ imageTag: sha }],
    });
    // Every (environment, service) contract is read.
    expect(ssm).toHaveReceivedCommandTimes(GetParameterCommand, 6);
  });

  it('says which image is missing and what the pipeline must push', async () => {
    givenEverythingPublished();
    ecr
      .on(DescribeImagesCommand, { repositoryName: 'acme/orders', imageIds: [{ imageTag: sha }] })
      .rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));
    const err = await resolveRelease(input, { config }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect((err as Error).message).toContain(`No image tagged "${sha}" in ECR repository "acme/orders"`);
    expect((err as Error).message).toContain(`${registry}/acme/orders:${sha}`);
  });

  it('names a repository that does not exist and the config key to fix', async () => {
    givenEverythingPublished();
    ecr
      .on(DescribeRepositoriesCommand, { repositoryNames: ['acme/web'] })
      .rejects(new RepositoryNotFoundException({ message: 'nope', $metadata: {} }));
    await expect(resolveRelease(input, { config })).rejects.toThrow(/services\.web\.repository/);
  });

  it('fails early on a missing deploy contract, naming the parameter and the Terraform environment', async () => {
    givenEverythingPublished();
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/production/services/billing' })
      .rejects(new ParameterNotFound({ message: 'missing', $metadata: {} }));
    const err = await resolveRelease(input, { config }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ContractError);
    expect((err as Error).message).toMatch(
      /Deploy contract \/shipgate\/production\/services\/billing is missing.*Terraform environment "production"/,
    );
  });

  it('rejects an invalid contract with the path of each wrong field', async () => {
    givenEverythingPublished();
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/staging/services/web' })
      .resolves({ Parameter: { Value: contract('web', { containerPort: 0, smokeUrl: 'not a url' }) } });
    const err = (await resolveRelease(input, { config }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toContain('/shipgate/staging/services/web is invalid');
    expect(err.message).toContain('containerPort');
    expect(err.message).toContain('smokeUrl');
  });

  it('rejects a contract that is not JSON or names another repository', async () => {
    givenEverythingPublished();
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/staging/services/web' })
      .resolves({ Parameter: { Value: '{oops' } });
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/staging/services/orders' })
      .resolves({ Parameter: { Value: contract('orders', { repository: 'acme/legacy-orders' }) } });
    const err = (await resolveRelease(input, { config }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ContractError);
    expect(err.message).toMatch(/^2 problems stop release/);
    expect(err.message).toContain('/shipgate/staging/services/web is not JSON');
    expect(err.message).toContain('names ECR repository "acme/legacy-orders"');
  });

  it('reports a missing image before contract problems, listing both', async () => {
    givenEverythingPublished();
    ecr
      .on(DescribeImagesCommand, { repositoryName: 'acme/web', imageIds: [{ imageTag: sha }] })
      .resolves({ imageDetails: [] });
    ssm
      .on(GetParameterCommand, { Name: '/shipgate/staging/services/web' })
      .rejects(new ParameterNotFound({ message: 'missing', $metadata: {} }));
    const err = (await resolveRelease(input, { config }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(ImageNotFoundError);
    expect(err.message).toContain('No image tagged');
    expect(err.message).toContain('is missing');
  });

  it('lets AWS errors through unchanged so Step Functions retries or reports them as they are', async () => {
    givenEverythingPublished();
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    ssm.on(GetParameterCommand).rejects(throttled);
    await expect(resolveRelease(input, { config })).rejects.toThrow('Rate exceeded');
  });

  it('handler validates its input and returns ResolvedRelease', async () => {
    givenEverythingPublished();
    setConfigForTesting(config);
    // The step checks each digest against the quarantine (lambdas/domain/ledger/quarantine.ts): none here.
    process.env.SHIPGATE_TABLE = 'shipgate-test';
    ddb.reset();
    ddb.on(GetCommand).resolves({});
    try {
      await expect(handler({ release: { id: 'x' } })).rejects.toThrow(/Resolve release input is invalid/);
      const out = await handler(input);
      expect(out.images.map((i) => i.service)).toEqual(['web', 'orders', 'billing']);
      expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.Key?.pk)).toEqual(
        out.images.map((i) => `QUARANTINE#${i.service}#${i.digest}`),
      );
    } finally {
      setConfigForTesting(undefined);
    }
  });

  it('handler refuses a quarantined digest with the rollback named, before any scan or approval', async () => {
    givenEverythingPublished();
    setConfigForTesting(config);
    process.env.SHIPGATE_TABLE = 'shipgate-test';
    ddb.reset();
    ddb.on(GetCommand).callsFake((req: { Key: { pk: string } }) =>
      req.Key.pk.startsWith('QUARANTINE#orders#')
        ? {
            Item: {
              pk: req.Key.pk,
              sk: 'QUARANTINE',
              service: 'orders',
              digest: req.Key.pk.split('#')[2],
              status: 'quarantined',
              rollbacks: [
                {
                  entryId: 'rollback#r1#production#orders',
                  environment: 'production',
                  outcome: 'rolled-back-by-hand',
                  releaseId: 'r1',
                  at: '2026-11-20T10:00:00.000Z',
                  by: 'dana',
                  reason: 'p99 doubled',
                },
              ],
              lifts: [],
            },
          }
        : {},
    );
    try {
      const err = (await handler(input).catch((e: unknown) => e)) as Error;
      expect(err.name).toBe('DigestQuarantined');
      expect(err.message).toMatch(
        /^Image sha256:[0-9a-f]{64} of "orders" is quarantined: it was rolled back by hand in production at 2026-11-20T10:00:00.000Z \(release r1\) by dana: p99 doubled\./,
      );
      expect(err.message).toContain('npx shipgate quarantine lift --service orders --digest sha256:');
    } finally {
      setConfigForTesting(undefined);
    }
  });
});
