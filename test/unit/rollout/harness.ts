import {
  CodeDeployClient,
  CreateDeploymentCommand,
  GetDeploymentCommand,
  StopDeploymentCommand,
  type DeploymentInfo,
} from '@aws-sdk/client-codedeploy';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
  type Deployment,
  type Service,
  type TaskDefinition,
} from '@aws-sdk/client-ecs';
import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient, type AwsStub } from 'aws-sdk-client-mock';
import type { RolloutDeps } from '../../../lambdas/domain/rollout/deps';
import type { ResolvedImage } from '../../../lambdas/shared/release';
import { parseConfig, type ShipgateConfig } from '../../../lambdas/shared/config';
import type { DeployContract } from '../../../lambdas/shared/contract';
import type { Release } from '../../../lambdas/shared/release';
import { startLocalTable } from '../../helpers/dynalite';

/**
 * Rollout test world: a real DynamoDB (dynalite on loopback, so conditional writes and leases behave as
 * in AWS), and ECS / CodeDeploy / SSM / Step Functions mocked with aws-sdk-client-mock, backed by a small
 * model of ECS services so DescribeServices answers what UpdateService did. All values are fake.
 */

export const ACCOUNT = '000011112222';
export const REGION = 'eu-west-1';
export const REGISTRY = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com`;

/** A fake digest made of one repeated hex character. */
export const digest = (c: string): string => `sha256:${c.repeat(64)}`;

/** The config the rollout tests run with. */
export function testConfig(overrides: Record<string, unknown> = {}): ShipgateConfig {
  return parseConfig({
    version: 1,
    projects: [{ path: 'shop/storefront', services: ['storefront', 'cart'] }],
    services: {
      storefront: { repository: 'storefront' },
      cart: { repository: 'cart' },
    },
    approvers: { ada: { name: 'Ada' } },
    environments: [
      { name: 'staging', approval: { approvers: ['ada'], allowSelfApproval: true } },
      { name: 'production', approval: { approvers: ['ada'], allowSelfApproval: true } },
    ],
    rollout: { timeout: '30m', eventGrace: '5m', maxConcurrency: 2, lockLease: '1h' },
    verify: { attempts: 3, interval: '1s', requestTimeout: '1s' },
    ...overrides,
  });
}

/** The `blueGreen` part of a contract, as the Terraform ecs-service module publishes it. */
export function blueGreenFor(environment: string, service: string): NonNullable<DeployContract['blueGreen']> {
  const elb = 'arn:aws:elasticloadbalancing:us-east-1:123456789012';
  return {
    alternateTargetGroupArn: `${elb}:targetgroup/${environment}-${service}-green/0123456789abcdef`,
    productionListenerRuleArn: `${elb}:listener-rule/app/shop-${environment}/1/2/3`,
    testListenerRuleArn: `${elb}:listener-rule/app/shop-${environment}/1/4/5`,
    infrastructureRoleArn: `arn:aws:iam::123456789012:role/${environment}-${service}-ecs-infrastructure`,
    testUrl: `http://${service}.${environment}.shop.test:8443`,
  };
}

/** A deploy contract as Terraform publishes it. */
export function contractFor(
  environment: string,
  service: string,
  overrides: Partial<DeployContract> = {},
): DeployContract {
  const trafficShifting = ['BLUE_GREEN', 'LINEAR', 'CANARY'].includes(overrides.strategy ?? '');
  return {
    blueGreen: trafficShifting ? blueGreenFor(environment, service) : null,
    lifecycleHooks: [],
    version: 1,
    cluster: `shop-${environment}`,
    service,
    containerName: 'app',
    containerPort: 8080,
    strategy: 'ROLLING',
    codeDeploy: null,
    smokeUrl: `http://${service}.${environment}.shop.test`,
    smokePath: '/readyz',
    alarms: [],
    repository: service,
    ...overrides,
  };
}

/** A release of the test project. */
export function makeRelease(overrides: Partial<Release> = {}): Release {
  return {
    id: 'shop-storefront-p101-c0ffee1',
    project: { id: 7, path: 'shop/storefront' },
    commit: { sha: 'c0ffee1'.padEnd(40, '0'), title: 'Faster checkout' },
    ref: 'main',
    tag: false,
    pipeline: { id: 101 },
    triggeredBy: { username: 'ada' },
    services: ['storefront'],
    environments: ['staging', 'production'],
    deliveryId: 'gitlab:7:pipeline:101:success',
    createdAt: '2026-11-21T10:00:00.000Z',
    ...overrides,
  };
}

/** The image of a service pinned by a fake digest. */
export function imageOf(service: string, c = 'a'): ResolvedImage {
  return { service, repository: service, digest: digest(c), imageUri: `${REGISTRY}/${service}@${digest(c)}` };
}

/** The fake task token of a test (never a real one). */
export const token = (n: number | string): string => `fake-task-token-${n}`;

/** One modelled ECS service. */
interface ModelService {
  cluster: string;
  name: string;
  service: Service;
}

/** The test world. */
export interface World {
  deps: RolloutDeps;
  ddbClient: DynamoDBClient;
  ecs: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  codeDeploy: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  sfn: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  ssm: AwsStub<any, any, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Current fake time; `advance` moves it. */
  clock: { now: Date; advance(seconds: number): void };
  /** Publishes a contract for a config service (default: the contract's ECS service name), served by the SSM mock. */
  publish(environment: string, contract: DeployContract, service?: string): void;
  /** Adds an ECS service running `image` as revision 1 of its family. */
  addService(cluster: string, name: string, image: string, containerName?: string): string;
  /** The modelled service. */
  service(cluster: string, name: string): Service;
  /** Finishes the PRIMARY deployment (COMPLETED, older deployments drained). */
  complete(cluster: string, name: string): Deployment;
  /** Circuit breaker: the PRIMARY deployment FAILED and ECS rolls back to the previous revision. */
  failAndRollBack(
    cluster: string,
    name: string,
    reason: string,
  ): { failed: Deployment; rollback: Deployment };
  /** Called on every (fake) sleep of the code under test: lets a test move ECS along while it waits. */
  onSleep: () => void;
  /** Registered task definitions by ARN. */
  taskDefinitions: Map<string, TaskDefinition>;
  /** CodeDeploy deployments by id. */
  codeDeployments: Map<string, DeploymentInfo>;
  close(): Promise<void>;
}

let tableCounter = 0;

/** Starts dynalite, creates a fresh table, and wires the mocks. Call `close()` in afterEach/afterAll. */
export async function startWorld(config: ShipgateConfig = testConfig()): Promise<World> {
  const local = await startLocalTable(`rollout-test-${++tableCounter}`, REGION);
  const { client: ddbClient, ddb, table } = local;

  const ecsClient = new ECSClient({ region: REGION });
  const codeDeployClient = new CodeDeployClient({ region: REGION });
  const sfnClient = new SFNClient({ region: REGION });
  const ssmClient = new SSMClient({ region: REGION });
  const ecs = mockClient(ecsClient);
  const codeDeploy = mockClient(codeDeployClient);
  const sfn = mockClient(sfnClient);
  const ssm = mockClient(ssmClient);

  const clock = {
    now: new Date('2026-11-22T01:00:00.000Z'),
    advance(seconds: number) {
      clock.now = new Date(clock.now.getTime() + seconds * 1000);
    },
  };

  const contracts = new Map<string, string>();
  ssm.on(GetParameterCommand).callsFake((input: { Name: string }) => {
    const value = contracts.get(input.Name);
    if (!value) {
      const err = new Error(`Parameter ${input.Name} not found.`);
      err.name = 'ParameterNotFound';
      throw err;
    }
    return { Parameter: { Name: input.Name, Value: value } };
  });

  const services = new Map<string, ModelService>();
  const taskDefinitions = new Map<string, TaskDefinition>();
  const families = new Map<string, number>();
  let deploymentSeq = 1000;
  const key = (cluster: string, name: string) => `${cluster.split('/').pop()}/${name.split('/').pop()}`;
  const model = (cluster: string, name: string): ModelService => {
    const m = services.get(key(cluster, name));
    if (!m) throw new Error(`test world: no service ${key(cluster, name)}`);
    return m;
  };
  const register = (td: TaskDefinition): string => {
    const family = td.family ?? 'unknown';
    const revision = (families.get(family) ?? 0) + 1;
    families.set(family, revision);
    const arn = `arn:aws:ecs:${REGION}:${ACCOUNT}:task-definition/${family}:${revision}`;
    taskDefinitions.set(arn, {
      ...td,
      taskDefinitionArn: arn,
      revision,
      status: 'ACTIVE',
      registeredAt: clock.now,
      compatibilities: ['EC2', 'FARGATE'],
      requiresAttributes: [{ name: 'com.amazonaws.ecs.capability.docker-remote-api.1.18' }],
    });
    return arn;
  };
  const newDeployment = (taskDefinition: string): Deployment => ({
    id: `ecs-svc/${++deploymentSeq}`,
    status: 'PRIMARY',
    taskDefinition,
    desiredCount: 2,
    runningCount: 0,
    pendingCount: 2,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: 'ECS deployment in progress.',
    createdAt: clock.now,
  });

  ecs.on(DescribeServicesCommand).callsFake((input: { cluster: string; services: string[] }) => {
    const m = services.get(key(input.cluster, input.services[0]));
    if (!m) return { services: [], failures: [{ arn: input.services[0], reason: 'MISSING' }] };
    return { services: [structuredClone(m.service)], failures: [] };
  });
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const td = taskDefinitions.get(input.taskDefinition);
    if (!td) {
      const err = new Error('Unable to describe task definition.');
      err.name = 'ClientException';
      throw err;
    }
    return { taskDefinition: structuredClone(td), tags: [{ key: 'team', value: 'shop' }] };
  });
  ecs.on(RegisterTaskDefinitionCommand).callsFake((input: TaskDefinition) => {
    const arn = register(input);
    return { taskDefinition: structuredClone(taskDefinitions.get(arn)) };
  });
  ecs
    .on(UpdateServiceCommand)
    .callsFake(
      (input: {
        cluster: string;
        service: string;
        taskDefinition?: string;
        deploymentConfiguration?: object;
      }) => {
        const m = model(input.cluster, input.service);
        if (input.taskDefinition && !taskDefinitions.has(input.taskDefinition)) {
          const err = new Error(`TaskDefinition not found: ${input.taskDefinition}`);
          err.name = 'InvalidParameterException';
          throw err;
        }
        const deployments = (m.service.deployments ?? []).map((d) => ({ ...d, status: 'ACTIVE' }));
        const next = newDeployment(input.taskDefinition ?? m.service.taskDefinition!);
        m.service = {
          ...m.service,
          taskDefinition: next.taskDefinition,
          deploymentConfiguration: input.deploymentConfiguration ?? m.service.deploymentConfiguration,
          deployments: [next, ...deployments],
        };
        return { service: structuredClone(m.service) };
      },
    );

  const codeDeployments = new Map<string, DeploymentInfo>();
  let cdSeq = 0;
  codeDeploy
    .on(CreateDeploymentCommand)
    .callsFake((input: { applicationName: string; deploymentGroupName: string }) => {
      const id = `d-FAKE${String(++cdSeq).padStart(5, '0')}`;
      codeDeployments.set(id, {
        deploymentId: id,
        applicationName: input.applicationName,
        deploymentGroupName: input.deploymentGroupName,
        status: 'InProgress',
      });
      return { deploymentId: id };
    });
  codeDeploy.on(GetDeploymentCommand).callsFake((input: { deploymentId: string }) => ({
    deploymentInfo: structuredClone(codeDeployments.get(input.deploymentId)),
  }));
  codeDeploy.on(StopDeploymentCommand).callsFake((input: { deploymentId: string }) => {
    const info = codeDeployments.get(input.deploymentId);
    if (info) {
      info.status = 'Stopped';
      info.rollbackInfo = { rollbackDeploymentId: 'd-FAKEROLLBK', rollbackMessage: 'stopped by user' };
      codeDeployments.set('d-FAKEROLLBK', { deploymentId: 'd-FAKEROLLBK', status: 'Succeeded' });
    }
    return { status: 'Pending' };
  });
  sfn.on(SendTaskSuccessCommand).resolves({});
  sfn.on(SendTaskFailureCommand).resolves({});

  const deps: RolloutDeps = {
    ecs: ecsClient,
    codeDeploy: codeDeployClient,
    ddb,
    sfn: sfnClient,
    ssm: ssmClient,
    // One emulated account: every environment uses these clients.
    environmentClients: () => deps,
    config,
    table,
    now: () => clock.now,
    sleep: async (ms) => {
      clock.advance(ms / 1000);
      world.onSleep();
    },
  };

  const world: World = {
    onSleep: () => undefined,
    deps,
    ddbClient,
    ecs,
    codeDeploy,
    sfn,
    ssm,
    clock,
    taskDefinitions,
    codeDeployments,
    publish(environment, contract, service = contract.service) {
      contracts.set(`${config.contractsPrefix}/${environment}/services/${service}`, JSON.stringify(contract));
    },
    addService(cluster, name, image, containerName = 'app') {
      const arn = register({
        family: `${cluster}-${name}`,
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        cpu: '256',
        memory: '512',
        executionRoleArn: `arn:aws:iam::${ACCOUNT}:role/${name}-exec`,
        containerDefinitions: [
          { name: containerName, image, essential: true, portMappings: [{ containerPort: 8080 }] },
          {
            name: 'log-router',
            image: 'public.ecr.aws/aws-observability/aws-for-fluent-bit:stable',
            essential: false,
          },
        ],
      });
      const first = {
        ...newDeployment(arn),
        rolloutState: 'COMPLETED' as const,
        runningCount: 2,
        pendingCount: 0,
      };
      services.set(key(cluster, name), {
        cluster,
        name,
        service: {
          serviceName: name,
          serviceArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:service/${cluster}/${name}`,
          clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/${cluster}`,
          status: 'ACTIVE',
          desiredCount: 2,
          taskDefinition: arn,
          deploymentConfiguration: { maximumPercent: 200, minimumHealthyPercent: 100 },
          deployments: [first],
        },
      });
      return arn;
    },
    service: (cluster, name) => structuredClone(model(cluster, name).service),
    complete(cluster, name) {
      const m = model(cluster, name);
      const primary = m.service.deployments!.find((d) => d.status === 'PRIMARY')!;
      Object.assign(primary, { rolloutState: 'COMPLETED', runningCount: 2, pendingCount: 0 });
      m.service.deployments = [primary];
      return structuredClone(primary);
    },
    failAndRollBack(cluster, name, reason) {
      const m = model(cluster, name);
      const deployments = m.service.deployments!;
      const failed = deployments.find((d) => d.status === 'PRIMARY')!;
      const previous = deployments.find((d) => d.status === 'ACTIVE');
      Object.assign(failed, {
        status: 'ACTIVE',
        rolloutState: 'FAILED',
        rolloutStateReason: reason,
        runningCount: 0,
      });
      const rollback = {
        ...newDeployment(previous!.taskDefinition!),
        rolloutState: 'COMPLETED' as const,
        runningCount: 2,
        pendingCount: 0,
      };
      m.service.taskDefinition = rollback.taskDefinition;
      m.service.deployments = [rollback, failed];
      return { failed: structuredClone(failed), rollback: structuredClone(rollback) };
    },
    async close() {
      ecs.restore();
      codeDeploy.restore();
      sfn.restore();
      ssm.restore();
      await local.close();
    },
  };
  return world;
}
