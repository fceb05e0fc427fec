import type { CreateDeploymentCommandInput } from '@aws-sdk/client-codedeploy';
import type { DeploymentConfiguration, DeploymentLifecycleHook } from '@aws-sdk/client-ecs';
import type { DeploymentStrategy, PauseConfig, ShipgateConfig } from '../../shared/config';
import { getEnvironment, pauseAllowanceSeconds, rolloutSettings } from '../../shared/config';
import type { DeployContract } from '../../shared/contract';
import { verifyHook } from '../../shared/env';
import { ConfigError, ContractError } from '../../shared/errors';
import { resourceName } from './contract';

/** ECS defaults (API reference) used when the config does not say. */
export const ECS_DEFAULTS = {
  /** `bakeTimeInMinutes` is required for BLUE_GREEN; five minutes keeps a rollback window open. */
  bakeTimeInMinutes: 5,
  canaryPercent: 5,
  canaryBakeTimeInMinutes: 10,
  linearStepPercent: 10,
  linearStepBakeTimeInMinutes: 6,
} as const;

/** CodeDeploy's all-at-once ECS config, used when neither the config nor the contract names one. */
export const DEFAULT_CODEDEPLOY_CONFIG = 'CodeDeployDefault.ECSAllAtOnce';

/** Everything needed to roll one service out in one environment, from the contract and the config. */
export interface RolloutPlan {
  service: string;
  environment: string;
  strategy: DeploymentStrategy;
  /** Cluster and service as the contract names them (name or ARN), for API calls. */
  cluster: string;
  ecsService: string;
  /** Plain names, for table keys and event matching. */
  clusterName: string;
  serviceName: string;
  containerName: string;
  containerPort: number;
  alarms: string[];
  /** ECS traffic-shifting settings (BLUE_GREEN, LINEAR, CANARY). */
  bakeTimeInMinutes?: number;
  canary?: { canaryPercent: number; canaryBakeTimeInMinutes: number };
  linear?: { stepPercent: number; stepBakeTimeInMinutes: number };
  codeDeploy?: {
    application: string;
    deploymentGroup: string;
    deploymentConfig: string;
    hooks: Record<string, string>;
  };
  /** Shortest time the strategy can take (bake and step waits), in seconds. */
  minimumSeconds: number;
  /** Blue/green family: what ECS shifts traffic with (from the contract). */
  blueGreen?: NonNullable<DeployContract['blueGreen']>;
  /** Lifecycle hooks the infrastructure added (from the contract). */
  lifecycleHooks: DeployContract['lifecycleHooks'];
  /** Configured pauses (ECS PAUSE hooks), blue/green family only. */
  pauses: PauseConfig[];
  /** Longest the pauses may hold the rollout, in seconds (added to `rollout.timeout` before it is stuck). */
  pauseSeconds: number;
}

function explicitStrategy(
  config: ShipgateConfig,
  service: string,
  environment: string,
): { strategy: DeploymentStrategy; path: string } | undefined {
  const env = getEnvironment(config, environment);
  const svc = config.services[service];
  const index = config.environments.indexOf(env);
  const candidates: [DeploymentStrategy | undefined, string][] = [
    [svc?.environments[environment]?.strategy, `services.${service}.environments.${environment}.strategy`],
    [svc?.rollout.strategy, `services.${service}.rollout.strategy`],
    [env.rollout.strategy, `environments[${index}].rollout.strategy`],
  ];
  const found = candidates.find(([s]) => s !== undefined);
  return found ? { strategy: found[0]!, path: found[1] } : undefined;
}

/** The fields of the contract's `blueGreen` object, for messages. */
const BLUE_GREEN_FIELDS =
  'alternateTargetGroupArn, productionListenerRuleArn, testListenerRuleArn, infrastructureRoleArn, testUrl';

/** Strategies ECS runs as service deployments with traffic shifting. */
export const TRAFFIC_SHIFTING: readonly DeploymentStrategy[] = ['BLUE_GREEN', 'LINEAR', 'CANARY'];

type LifecycleHookConfig = DeploymentLifecycleHook;

/**
 * Chooses the strategy and its parameters. The contract says how the infrastructure is built (ECS
 * deployment controller or CodeDeploy); the config may pick another ECS strategy and refine percentages
 * and bake time. A config that asks for CodeDeploy on an ECS-controlled service (or the reverse) is
 * refused, because the service's deployment controller cannot change at deploy time.
 * @throws ContractError when config and contract disagree on the controller, or CodeDeploy details are missing.
 * @throws ConfigError when the strategy cannot finish within `rollout.timeout`.
 */
export function planRollout(
  contract: DeployContract,
  config: ShipgateConfig,
  service: string,
  environment: string,
): RolloutPlan {
  const settings = rolloutSettings(config, service, environment);
  const explicit = explicitStrategy(config, service, environment);
  const strategy = explicit?.strategy ?? contract.strategy;
  if ((strategy === 'CODEDEPLOY') !== (contract.strategy === 'CODEDEPLOY')) {
    throw new ContractError(
      `Service "${service}" in "${environment}": the config asks for ${strategy} but the deploy contract says the service is built for ${contract.strategy}. ` +
        `CodeDeploy blue/green and ECS-native strategies need different deployment controllers; change the config or the Terraform module so both agree.`,
    );
  }
  const bakeMinutes = settings.bakeTime === undefined ? undefined : Math.ceil(settings.bakeTime / 60);
  const plan: RolloutPlan = {
    service,
    environment,
    strategy,
    cluster: contract.cluster,
    ecsService: contract.service,
    clusterName: resourceName(contract.cluster),
    serviceName: resourceName(contract.service),
    containerName: contract.containerName,
    containerPort: contract.containerPort,
    alarms: [...contract.alarms],
    minimumSeconds: 0,
    lifecycleHooks: contract.lifecycleHooks.map((h) => ({ ...h, lifecycleStages: [...h.lifecycleStages] })),
    pauses: [],
    pauseSeconds: 0,
    ...(contract.blueGreen ? { blueGreen: { ...contract.blueGreen } } : {}),
  };
  if (TRAFFIC_SHIFTING.includes(strategy) && !contract.blueGreen) {
    const asked = explicit
      ? `the config (${explicit.path}) asks for ${strategy}`
      : `the contract says ${strategy}`;
    throw new ContractError(
      `Service "${service}" in "${environment}": ${asked} but the deploy contract (strategy ${contract.strategy}) has no blueGreen {${BLUE_GREEN_FIELDS}}. ` +
        `ECS needs an alternate target group, production and test listener rules and an infrastructure role to shift traffic; publish them from the Terraform ecs-service module or choose ROLLING.`,
    );
  }
  if (settings.pauses?.length) {
    if (!TRAFFIC_SHIFTING.includes(strategy)) {
      throw new ConfigError(
        `Service "${service}" in "${environment}": pauses are configured but the rollout is ${strategy}. Shipgate pauses BLUE_GREEN, LINEAR and CANARY rollouts (ECS service deployments with lifecycle stages); choose one of those or remove the pauses.`,
      );
    }
    plan.pauses = settings.pauses.map((p) => ({ ...p, approvers: [...p.approvers] }));
    plan.pauseSeconds = pauseAllowanceSeconds({ ...settings, strategy });
  }
  if (TRAFFIC_SHIFTING.includes(strategy)) {
    plan.bakeTimeInMinutes = bakeMinutes ?? ECS_DEFAULTS.bakeTimeInMinutes;
    plan.minimumSeconds = plan.bakeTimeInMinutes * 60;
  }
  if (strategy === 'CANARY') {
    plan.canary = {
      canaryPercent: settings.canaryPercent ?? ECS_DEFAULTS.canaryPercent,
      canaryBakeTimeInMinutes: bakeMinutes ?? ECS_DEFAULTS.canaryBakeTimeInMinutes,
    };
    plan.minimumSeconds += plan.canary.canaryBakeTimeInMinutes * 60;
  }
  if (strategy === 'LINEAR') {
    plan.linear = {
      stepPercent: settings.linearStepPercent ?? ECS_DEFAULTS.linearStepPercent,
      stepBakeTimeInMinutes: bakeMinutes ?? ECS_DEFAULTS.linearStepBakeTimeInMinutes,
    };
    const steps = Math.ceil(100 / plan.linear.stepPercent) - 1;
    plan.minimumSeconds += steps * plan.linear.stepBakeTimeInMinutes * 60;
  }
  if (strategy === 'CODEDEPLOY') {
    if (!contract.codeDeploy) {
      throw new ContractError(
        `Service "${service}" in "${environment}": the deploy contract says CODEDEPLOY but has no codeDeploy {application, deploymentGroup}. Publish them from Terraform.`,
      );
    }
    plan.codeDeploy = {
      application: contract.codeDeploy.application,
      deploymentGroup: contract.codeDeploy.deploymentGroup,
      deploymentConfig:
        settings.codeDeployConfig ?? contract.codeDeploy.deploymentConfig ?? DEFAULT_CODEDEPLOY_CONFIG,
      hooks: { ...(contract.codeDeploy.hooks ?? {}) } as Record<string, string>,
    };
  }
  const timeout = config.rollout.timeout;
  if (plan.minimumSeconds >= timeout) {
    throw new ConfigError(
      `Service "${service}" in "${environment}": the ${strategy} rollout waits at least ${plan.minimumSeconds} s (bake and step times) ` +
        `but rollout.timeout is ${timeout} s, so it would always fail as stuck. Raise rollout.timeout or shorten bakeTime / raise linearStepPercent.`,
    );
  }
  return plan;
}

/**
 * The ECS `deploymentConfiguration` for UpdateService: circuit breaker with rollback always on, the
 * contract's alarms with rollback (explicitly off when the contract lists none), the strategy and its
 * bake / canary / linear settings. Task-count limits and lifecycle hooks the infrastructure configured on
 * the service are kept.
 */
export function buildDeploymentConfiguration(
  plan: RolloutPlan,
  current: DeploymentConfiguration | undefined,
  hook: { arn: string; roleArn: string } | undefined = verifyHook(plan.environment),
): DeploymentConfiguration {
  const cfg: DeploymentConfiguration = {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    alarms:
      plan.alarms.length > 0
        ? { alarmNames: plan.alarms, enable: true, rollback: true }
        : { alarmNames: [], enable: false, rollback: false },
    strategy: plan.strategy as DeploymentConfiguration['strategy'],
  };
  if (current?.maximumPercent !== undefined) cfg.maximumPercent = current.maximumPercent;
  if (current?.minimumHealthyPercent !== undefined) cfg.minimumHealthyPercent = current.minimumHealthyPercent;
  if (TRAFFIC_SHIFTING.includes(plan.strategy)) {
    // The contract's hooks, then Shipgate's verify hook: the smoke check on test traffic, before any
    // production traffic moves (a FAILED answer makes ECS roll back).
    const hooks: LifecycleHookConfig[] = plan.lifecycleHooks.map((h) => ({
      hookTargetArn: h.hookTargetArn,
      roleArn: h.roleArn,
      lifecycleStages: [...h.lifecycleStages],
    }));
    if (hook) {
      hooks.push({
        hookTargetArn: hook.arn,
        roleArn: hook.roleArn,
        lifecycleStages: ['POST_TEST_TRAFFIC_SHIFT'],
      });
    }
    // Configured pauses, after the contract's and the verify hook (never instead of them): one PAUSE hook per
    // pause. ECS: "You can configure both Lambda hooks and pause hooks at the same lifecycle stage. Both hooks
    // must complete before the deployment proceeds to the next stage." hookTargetArn / roleArn / hookDetails
    // are not used for PAUSE hooks, so none are sent.
    hooks.push(...pauseHooks(plan));
    if (hooks.length) cfg.lifecycleHooks = hooks;
  } else if (current?.lifecycleHooks?.length) {
    cfg.lifecycleHooks = current.lifecycleHooks;
  }
  if (plan.bakeTimeInMinutes !== undefined) cfg.bakeTimeInMinutes = plan.bakeTimeInMinutes;
  if (plan.canary) cfg.canaryConfiguration = { ...plan.canary };
  if (plan.linear) cfg.linearConfiguration = { ...plan.linear };
  return cfg;
}

/**
 * The `deploymentConfiguration` of a rollback that redeploys the previous revision (the release's "Roll back"
 * after a completed rollout, and the manual rollback). A rollback never waits for people or for a bake:
 * - BLUE_GREEN with `bakeTimeInMinutes: 0` for the blue/green family (BLUE_GREEN, LINEAR, CANARY): all
 *   production traffic moves back at once and the bad revision's tasks go right away. The strategy is not
 *   switched to ROLLING: ECS refuses that switch while a deployment is in progress and a rolling deployment
 *   sends traffic to new tasks as they pass health checks (developer guide, "Update the Amazon ECS deployment
 *   strategy"); staying in the blue/green family keeps the load balancer setup as it is;
 * - no canary or linear configuration, so no traffic stays on the bad revision through a bake;
 * - no PAUSE hook and not Shipgate's verify hook (the previous revision already passed it; a failing smoke
 *   check would roll the rollback back onto the bad revision); the infrastructure's own Lambda hooks (deploy
 *   contract) still run;
 * - alarms off: the alarm that fired because of the bad release would otherwise roll the rollback back;
 * - the circuit breaker stays on: a previous revision that no longer starts fails the rollback visibly.
 * For the blue/green family only: a ROLLING rollback keeps the service's settings (no bake, no pause).
 */
export function buildRollbackDeploymentConfiguration(
  plan: RolloutPlan,
  current: DeploymentConfiguration | undefined,
): DeploymentConfiguration {
  const cfg: DeploymentConfiguration = {
    deploymentCircuitBreaker: { enable: true, rollback: true },
    alarms: { alarmNames: [...plan.alarms], enable: false, rollback: false },
    strategy: 'BLUE_GREEN',
    bakeTimeInMinutes: 0,
    lifecycleHooks: plan.lifecycleHooks.map((h) => ({
      hookTargetArn: h.hookTargetArn,
      roleArn: h.roleArn,
      lifecycleStages: [...h.lifecycleStages],
    })),
  };
  if (current?.maximumPercent !== undefined) cfg.maximumPercent = current.maximumPercent;
  if (current?.minimumHealthyPercent !== undefined) cfg.minimumHealthyPercent = current.minimumHealthyPercent;
  return cfg;
}

/**
 * What the service's `deploymentConfiguration` must become once a Shipgate deployment ended, or `undefined`
 * when nothing is left to undo. UpdateService stores the deployment configuration on the service, so without
 * this the settings of one deployment would apply to the next one, even one Shipgate did not start (an
 * operator's `aws ecs update-service --force-new-deployment`):
 * - PAUSE hooks are removed (the next deployment would wait for people nobody asks);
 * - alarms a rollback switched off ({@link buildRollbackDeploymentConfiguration}) are switched on again with
 *   rollback, for the alarm names the service keeps.
 * Strategy, bake and canary/linear settings, the infrastructure's hooks and the verify hook stay: they wait
 * for nobody (the verify hook answers SUCCEEDED at once for a deployment Shipgate did not start). An
 * UpdateService that changes only `deploymentConfiguration` "doesn't trigger a new service deployment" (API
 * reference, UpdateService).
 */
export function configurationBetweenDeployments(
  current: DeploymentConfiguration | undefined,
): DeploymentConfiguration | undefined {
  if (!current) return undefined;
  const hooks = current.lifecycleHooks ?? [];
  const pauses = hooks.some((h) => h.targetType === 'PAUSE');
  const alarmsOff = (current.alarms?.alarmNames?.length ?? 0) > 0 && current.alarms?.enable === false;
  if (!pauses && !alarmsOff) return undefined;
  return {
    ...current,
    ...(pauses ? { lifecycleHooks: hooks.filter((h) => h.targetType !== 'PAUSE') } : {}),
    ...(alarmsOff
      ? { alarms: { alarmNames: current.alarms!.alarmNames, enable: true, rollback: true } }
      : {}),
  };
}

/** ECS PAUSE lifecycle hooks for a plan's pauses (timeout in whole minutes, rounded up). */
export function pauseHooks(plan: Pick<RolloutPlan, 'pauses'>): LifecycleHookConfig[] {
  return plan.pauses.map((p) => ({
    targetType: 'PAUSE',
    lifecycleStages: [p.at],
    timeoutConfiguration: { timeoutInMinutes: Math.ceil(p.timeout / 60), action: p.onTimeout },
  }));
}

/** An ECS AppSpec (the JSON form CodeDeploy accepts as `AppSpecContent`). */
export interface EcsAppSpec {
  version: '0.0';
  Resources: {
    TargetService: {
      Type: 'AWS::ECS::Service';
      Properties: {
        TaskDefinition: string;
        LoadBalancerInfo: { ContainerName: string; ContainerPort: number };
      };
    };
  }[];
  Hooks?: Record<string, string>[];
}

/** The ECS AppSpec for a task definition: target service, container and port, and the contract's hooks. */
export function buildAppSpec(plan: RolloutPlan, taskDefinitionArn: string): EcsAppSpec {
  const spec: EcsAppSpec = {
    version: '0.0',
    Resources: [
      {
        TargetService: {
          Type: 'AWS::ECS::Service',
          Properties: {
            TaskDefinition: taskDefinitionArn,
            LoadBalancerInfo: { ContainerName: plan.containerName, ContainerPort: plan.containerPort },
          },
        },
      },
    ],
  };
  const hooks = Object.entries(plan.codeDeploy?.hooks ?? {});
  if (hooks.length > 0) spec.Hooks = hooks.map(([hook, fn]) => ({ [hook]: fn }));
  return spec;
}

/**
 * CodeDeploy `CreateDeployment` input: the AppSpec as content, the chosen deployment config, automatic
 * rollback on failure (and on alarm when the contract lists alarms). The alarms themselves are the
 * deployment group's (Terraform sets them from the same list); overriding them per deployment would need
 * `codedeploy:UpdateDeploymentGroup`, which Shipgate does not get.
 */
export function buildCreateDeploymentInput(
  plan: RolloutPlan,
  taskDefinitionArn: string,
  description: string,
): CreateDeploymentCommandInput {
  if (!plan.codeDeploy) throw new ContractError(`Service "${plan.service}" is not a CodeDeploy service.`);
  const content = JSON.stringify(buildAppSpec(plan, taskDefinitionArn));
  return {
    applicationName: plan.codeDeploy.application,
    deploymentGroupName: plan.codeDeploy.deploymentGroup,
    deploymentConfigName: plan.codeDeploy.deploymentConfig,
    description: description.slice(0, 512),
    revision: { revisionType: 'AppSpecContent', appSpecContent: { content } },
    // These events replace the deployment group's for this deployment (CreateDeployment API reference,
    // autoRollbackConfiguration), so every one the group may rely on is listed: a failure, an alarm, and a
    // deployment stopped by request (`aws deploy stop-deployment --auto-rollback-enabled`, or Shipgate's
    // own rollback) all roll back.
    autoRollbackConfiguration: {
      enabled: true,
      events: [
        'DEPLOYMENT_FAILURE',
        ...(plan.alarms.length > 0 ? (['DEPLOYMENT_STOP_ON_ALARM'] as const) : []),
        'DEPLOYMENT_STOP_ON_REQUEST',
      ],
    },
  };
}
