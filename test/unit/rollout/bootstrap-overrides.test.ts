import {
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  type ContainerDefinition,
} from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import {
  BOOTSTRAP_OVERRIDES_LABEL,
  registerPinnedCopy,
  withoutBootstrapOverrides,
} from '../../../lambdas/domain/rollout/deploy';

/**
 * The Terraform module `ecs-service` creates each service on an nginx bootstrap task definition whose
 * container overrides `entryPoint`/`command` (answer 200 everywhere) and says so in the docker label
 * `org.shipgate.bootstrap-overrides`. The first revision Shipgate registers must run the app image's own
 * entrypoint: the listed overrides and the label go, everything else stays.
 */

const BASE_ARN = 'arn:aws:ecs:eu-west-1:000011112222:task-definition/shop-staging-storefront:1';
const PINNED = `000011112222.dkr.ecr.eu-west-1.amazonaws.com/storefront@sha256:${'a'.repeat(64)}`;

/** The container the Terraform module renders for the default nginx bootstrap (see terraform/modules/ecs-service/main.tf). */
const bootstrapContainer: ContainerDefinition = {
  name: 'storefront',
  image: 'public.ecr.aws/nginx/nginx:1.27-alpine',
  essential: true,
  portMappings: [{ name: 'http', containerPort: 8080, protocol: 'tcp' }],
  environment: [{ name: 'APP_ENV', value: 'staging' }],
  secrets: [{ name: 'DB_URL', valueFrom: 'arn:aws:ssm:eu-west-1:000011112222:parameter/fake/db-url' }],
  entryPoint: ['/bin/sh', '-c'],
  command: [
    "printf 'server { listen 8080; location / { default_type text/plain; return 200 bootstrap; } }' > /etc/nginx/conf.d/default.conf && exec nginx -g 'daemon off;'",
  ],
  dockerLabels: { [BOOTSTRAP_OVERRIDES_LABEL]: 'command,entryPoint' },
  stopTimeout: 30,
};

const sidecar: ContainerDefinition = {
  name: 'log-router',
  image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
  essential: false,
  command: ['/fluent-bit/bin/fluent-bit', '-c', '/fluent-bit/etc/fluent-bit.conf'],
};

function mockEcs(containers: ContainerDefinition[]) {
  const ecs = mockClient(ECSClient);
  ecs.on(DescribeTaskDefinitionCommand).resolves({
    taskDefinition: {
      taskDefinitionArn: BASE_ARN,
      family: 'shop-staging-storefront',
      revision: 1,
      status: 'ACTIVE',
      networkMode: 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      cpu: '256',
      memory: '512',
      containerDefinitions: containers,
    },
    tags: [{ key: 'service', value: 'storefront' }],
  });
  ecs.on(RegisterTaskDefinitionCommand).resolves({
    taskDefinition: { taskDefinitionArn: BASE_ARN.replace(/:1$/, ':2') },
  });
  return ecs;
}

describe('registerPinnedCopy of a Terraform bootstrap task definition', () => {
  test('the first real revision drops the bootstrap entryPoint/command and the label, keeps the rest', async () => {
    const ecs = mockEcs([bootstrapContainer, sidecar]);

    const arn = await registerPinnedCopy(BASE_ARN, 'storefront', PINNED, {
      ecs: ecs as unknown as ECSClient,
    });

    expect(arn).toBe(BASE_ARN.replace(/:1$/, ':2'));
    const input = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input;
    const [app, router] = input.containerDefinitions ?? [];
    expect(app).not.toHaveProperty('entryPoint');
    expect(app).not.toHaveProperty('command');
    expect(app).not.toHaveProperty('dockerLabels');
    expect(app).toEqual({
      name: 'storefront',
      image: PINNED,
      essential: true,
      portMappings: bootstrapContainer.portMappings,
      environment: bootstrapContainer.environment,
      secrets: bootstrapContainer.secrets,
      stopTimeout: 30,
    });
    // The sidecar has no label: its command is its own and stays.
    expect(router).toEqual(sidecar);
    expect(input.tags).toEqual([{ key: 'service', value: 'storefront' }]);
    // The described task definition is not mutated (the next copy starts from the same data).
    expect(bootstrapContainer.command).toHaveLength(1);
  });

  test('a container without the label keeps its command and entryPoint', async () => {
    const app: ContainerDefinition = {
      name: 'storefront',
      image: `000011112222.dkr.ecr.eu-west-1.amazonaws.com/storefront@sha256:${'0'.repeat(64)}`,
      essential: true,
      entryPoint: ['/app/entrypoint.sh'],
      command: ['serve', '--port', '8080'],
      dockerLabels: { team: 'shop' },
    };
    const ecs = mockEcs([app]);

    await registerPinnedCopy(BASE_ARN, 'storefront', PINNED, { ecs: ecs as unknown as ECSClient });

    const [registered] = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input
      .containerDefinitions!;
    expect(registered).toEqual({ ...app, image: PINNED });
  });

  test('a label on another container than the target is left alone', async () => {
    const ecs = mockEcs([
      { name: 'storefront', image: 'public.ecr.aws/nginx/nginx:1.27-alpine', command: ['keep-me'] },
      { ...bootstrapContainer, name: 'proxy' },
    ]);

    await registerPinnedCopy(BASE_ARN, 'storefront', PINNED, { ecs: ecs as unknown as ECSClient });

    const [app, proxy] = ecs.commandCalls(RegisterTaskDefinitionCommand)[0].args[0].input
      .containerDefinitions!;
    expect(app).toEqual({ name: 'storefront', image: PINNED, command: ['keep-me'] });
    expect(proxy).toEqual({ ...bootstrapContainer, name: 'proxy' });
  });
});

describe('withoutBootstrapOverrides', () => {
  test('drops only the keys the label lists (a bootstrap_command override: command only)', () => {
    const out = withoutBootstrapOverrides({
      name: 'web',
      entryPoint: ['/docker-entrypoint.sh'],
      command: ['sleep', 'infinity'],
      dockerLabels: { [BOOTSTRAP_OVERRIDES_LABEL]: 'command', team: 'shop' },
    });
    expect(out).toEqual({
      name: 'web',
      entryPoint: ['/docker-entrypoint.sh'],
      dockerLabels: { team: 'shop' },
    });
  });

  test('never drops keys that are not overrides, even when the label names them', () => {
    const out = withoutBootstrapOverrides({
      name: 'web',
      image: 'nginx',
      portMappings: [{ containerPort: 80 }],
      command: ['x'],
      dockerLabels: { [BOOTSTRAP_OVERRIDES_LABEL]: ' command , image,name,portMappings' },
    });
    expect(out).toEqual({ name: 'web', image: 'nginx', portMappings: [{ containerPort: 80 }] });
  });
});
