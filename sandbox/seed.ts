import { rolloutSettings, type ShipgateConfig } from '../lambdas/shared/config';
import { contractParameterName, deployContractSchema, type DeployContract } from '../lambdas/shared/contract';
import type { AccountEmulators, Emulators } from './aws/emulators';
import { EcrEmulator } from './aws/ecr';
import { SANDBOX_ACCOUNT } from './aws/protocol';
import { seedAccounts } from './seed-accounts';

/** Port every sample container listens on (what the contracts and task definitions declare). */
export const CONTAINER_PORT = 8080;

/** Tag of the image each repository starts with, so every environment runs something from the start. */
export const INITIAL_TAG = 'sandbox-initial';

/** ECS cluster of an environment in the sandbox. */
export const clusterName = (environment: string): string => `shipgate-${environment}`;

/** CodeDeploy application of an environment in the sandbox. */
export const codeDeployApplication = (environment: string): string => `shipgate-${environment}`;

const TRAFFIC_SHIFTING = new Set(['BLUE_GREEN', 'LINEAR', 'CANARY']);

/**
 * The `blueGreen` part of a sandbox contract: what the Terraform ecs-service module creates for the
 * blue/green family (names follow its naming), and a test URL served by the sandbox that reaches the
 * target revision once ECS moved test traffic to it.
 */
export function blueGreenContract(
  environment: string,
  service: string,
  serviceBaseUrl: string,
  account = SANDBOX_ACCOUNT,
) {
  const elb = `arn:aws:elasticloadbalancing:us-east-1:${account}`;
  const lb = `app/shipgate-${environment}/50dc6c495c0c9188`;
  return {
    alternateTargetGroupArn: `${elb}:targetgroup/${environment}-${service}-alt/6d0ecf831eec9f09`,
    productionListenerRuleArn: `${elb}:listener-rule/${lb}/f2f7dc8efc522ab2/9683b2d02a6cabee`,
    testListenerRuleArn: `${elb}:listener-rule/${lb}/5ce3a4ff9ba6ffb0/1bd9a3a0fa5d1c1a`,
    infrastructureRoleArn: `arn:aws:iam::${account}:role/${environment}-${service}-ecs-infrastructure`,
    testUrl: `${serviceBaseUrl}/_sandbox/test-traffic/${environment}/${service}`,
  };
}

/** What seeding did, for the start-up output. */
export interface SeedSummary {
  repositories: string[];
  services: { environment: string; service: string; cluster: string; strategy: string; digest: string }[];
  contracts: string[];
}

function initialManifest(service: string): string {
  return JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a',
      size: 2,
    },
    layers: [],
    annotations: {
      'org.opencontainers.image.title': service,
      'org.opencontainers.image.description': 'Initial image seeded by the Shipgate sandbox',
    },
  });
}

/**
 * A service that pauses in an environment gets one CloudWatch alarm (state OK; the sandbox never fires it)
 * named in its contract, so the pause message has an alarm state to show, as the contract's alarms in AWS.
 */
function pauseAlarms(
  config: ShipgateConfig,
  environment: string,
  service: string,
  emulators: Pick<AccountEmulators, 'cloudwatch'>,
): string[] {
  if (!(rolloutSettings(config, service, environment).pauses ?? []).length) return [];
  const name = `${environment}-${service}-5xx`;
  if (!emulators.cloudwatch.describeAlarms({ AlarmNames: [name] }).MetricAlarms.length) {
    emulators.cloudwatch.putMetricAlarm({
      AlarmName: name,
      AlarmDescription: `HTTP 5xx of ${service} in ${environment} (sandbox: never fires)`,
      MetricName: 'HTTPCode_Target_5XX_Count',
      Namespace: 'AWS/ApplicationELB',
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    emulators.cloudwatch.setAlarmState({ AlarmName: name, StateValue: 'OK', StateReason: 'Sandbox: no 5xx' });
  }
  return [name];
}

/**
 * Creates, from the config, what Terraform creates in AWS: an ECR repository per service (with an initial
 * image), a cluster per environment with one service per configured service running an initial task
 * definition, CodeDeploy groups where a service deploys with CODEDEPLOY, and the deploy contract of every
 * (environment, service) in SSM, validated with `deployContractSchema`. Idempotent: existing resources are
 * kept (they persist in the state dir); contracts are rewritten so they follow config changes.
 */
export function seedFromConfig(
  config: ShipgateConfig,
  emulators: Emulators,
  serviceBaseUrl: string,
): SeedSummary {
  const { ecr } = emulators;
  const summary: SeedSummary = { repositories: [], services: [], contracts: [] };
  const initialDigest = new Map<string, string>();
  for (const [service, svc] of Object.entries(config.services)) {
    let repo = ecr.repositories().find((r) => r.name === svc.repository);
    if (!repo) {
      ecr.createRepository({
        repositoryName: svc.repository,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
      });
      repo = ecr.repositories().find((r) => r.name === svc.repository)!;
    }
    let initial = repo.images.find((i) => i.tags.includes(INITIAL_TAG));
    if (!initial) {
      ecr.putImage({
        repositoryName: svc.repository,
        imageManifest: initialManifest(service),
        imageTag: INITIAL_TAG,
      });
      initial = repo.images.find((i) => i.tags.includes(INITIAL_TAG))!;
    }
    initialDigest.set(service, initial.digest);
    summary.repositories.push(svc.repository);
  }
  for (const env of config.environments) {
    // An environment with its own account (environments[].aws) has its resources there, as in AWS.
    const account = env.aws?.account ?? SANDBOX_ACCOUNT;
    const inAccount = emulators.inAccount(account);
    const { ecs, ssm, codeDeploy: codeDeployGroups } = inAccount;
    const cluster = clusterName(env.name);
    ecs.ensureCluster({ clusterName: cluster });
    for (const [service, svc] of Object.entries(config.services)) {
      const { strategy, codeDeployConfig } = rolloutSettings(config, service, env.name);
      const family = `${env.name}-${service}`;
      let taskDefinitionArn: string;
      try {
        taskDefinitionArn = ecs.resolveTaskDefinition(family).arn;
      } catch {
        const registered = ecs.operations.RegisterTaskDefinition({
          family,
          networkMode: 'awsvpc',
          requiresCompatibilities: ['FARGATE'],
          cpu: '256',
          memory: '512',
          executionRoleArn: `arn:aws:iam::${account}:role/${family}-execution`,
          containerDefinitions: [
            {
              name: service,
              image: `${EcrEmulator.repositoryUri(svc.repository)}@${initialDigest.get(service)}`,
              essential: true,
              portMappings: [{ containerPort: CONTAINER_PORT, protocol: 'tcp' }],
              healthCheck: {
                command: ['CMD-SHELL', `wget -qO- http://localhost:${CONTAINER_PORT}/readyz || exit 1`],
              },
            },
          ],
        }) as { taskDefinition: { taskDefinitionArn: string } };
        taskDefinitionArn = registered.taskDefinition.taskDefinitionArn;
      }
      const codeDeploy = strategy === 'CODEDEPLOY';
      ecs.seedService({
        cluster,
        serviceName: service,
        taskDefinition: taskDefinitionArn,
        desiredCount: 2,
        deploymentController: { type: codeDeploy ? 'CODE_DEPLOY' : 'ECS' },
        deploymentConfiguration: codeDeploy
          ? { maximumPercent: 200, minimumHealthyPercent: 100 }
          : {
              maximumPercent: 200,
              minimumHealthyPercent: 100,
              deploymentCircuitBreaker: { enable: true, rollback: true },
              strategy: strategy,
            },
      });
      if (codeDeploy) {
        codeDeployGroups.ensureGroup({
          application: codeDeployApplication(env.name),
          deploymentGroup: service,
          cluster,
          service,
        });
      }
      const contract: DeployContract = deployContractSchema.parse({
        version: 1,
        cluster,
        service,
        containerName: service,
        containerPort: CONTAINER_PORT,
        strategy,
        codeDeploy: codeDeploy
          ? {
              application: codeDeployApplication(env.name),
              deploymentGroup: service,
              ...(codeDeployConfig ? { deploymentConfig: codeDeployConfig } : {}),
            }
          : null,
        blueGreen: TRAFFIC_SHIFTING.has(strategy)
          ? blueGreenContract(env.name, service, serviceBaseUrl, account)
          : null,
        lifecycleHooks: [],
        smokeUrl: `${serviceBaseUrl}/_sandbox/services/${env.name}/${service}`,
        smokePath: '/readyz',
        alarms: pauseAlarms(config, env.name, service, inAccount),
        repository: svc.repository,
      });
      const name = contractParameterName(config.contractsPrefix, env.name, service);
      ssm.putParameter({ Name: name, Value: JSON.stringify(contract), Type: 'String', Overwrite: true });
      summary.contracts.push(name);
      const running = ecs.runningTaskDefinition(cluster, service);
      const image =
        (running?.body.containerDefinitions as { image?: string }[] | undefined)?.[0]?.image ?? '';
      summary.services.push({
        environment: env.name,
        service,
        cluster,
        strategy,
        digest: image.includes('@') ? image.slice(image.indexOf('@') + 1) : image,
      });
    }
  }
  seedAccounts(config, emulators);
  return summary;
}
