import type { ContainerDefinition, LoadBalancer as EcsLoadBalancer } from '@aws-sdk/client-ecs';
import type { MetricAlarm } from '@aws-sdk/client-cloudwatch';
import { formatIssues, type ShipgateConfig } from '../../lambdas/shared/config';
import { deployContractSchema, type DeployContract } from '../../lambdas/shared/contract';
import { ShipgateError } from '../../lambdas/shared/errors';
import { planRollout } from '../../lambdas/domain/rollout/strategy';
import {
  alarmsWatching,
  describeLiveService,
  ecrRepositoryOf,
  resolveListenerUrl,
  resolveRule,
  ruleBaseUrl,
  shortName,
  type LiveClients,
  type LiveService,
} from './live-service';

/**
 * `contract init`'s core: the deploy contract of a running ECS service, read from AWS. Everything AWS knows
 * comes from AWS (strategy, container, port, blue/green target groups, listener rules and role, URLs of the
 * listeners, alarms, the image's repository); what it cannot know comes from flags, with a default where one
 * is safe (smoke path) and an error naming the flag where none is.
 */

/** Something the contract needs that AWS cannot tell and no flag gave: the message names the flag. */
export class ContractInitError extends ShipgateError {
  static override readonly errorName: string = 'ContractInitError';
}

/** What `contract init` was asked. */
export interface ContractInitRequest {
  /** Shipgate environment (a name in the config). */
  environment: string;
  /** Shipgate service (a key of `services` in the config). */
  name: string;
  cluster: string;
  service: string;
  container?: string;
  smokeUrl?: string;
  testUrl?: string;
  smokePath?: string;
  codeDeployApplication?: string;
  codeDeployGroup?: string;
}

/** The contract and what the reader should know about how each part was found. */
export interface ContractInitResult {
  contract: DeployContract;
  notes: string[];
}

const ECS_STRATEGIES = new Set(['ROLLING', 'BLUE_GREEN', 'LINEAR', 'CANARY']);

function strategyOf(live: LiveService, req: ContractInitRequest): DeployContract['strategy'] {
  const controller = live.service.deploymentController?.type ?? 'ECS';
  if (controller === 'CODE_DEPLOY') return 'CODEDEPLOY';
  if (controller !== 'ECS') {
    throw new ContractInitError(
      `service "${req.service}" uses the ${controller} deployment controller; Shipgate deploys ECS-controlled services (ROLLING, BLUE_GREEN, LINEAR, CANARY) and CodeDeploy blue/green`,
    );
  }
  const strategy = live.service.deploymentConfiguration?.strategy ?? 'ROLLING';
  if (!ECS_STRATEGIES.has(strategy)) {
    throw new ContractInitError(
      `service "${req.service}" has deployment strategy ${strategy}, which Shipgate does not run`,
    );
  }
  return strategy as DeployContract['strategy'];
}

function pickContainer(
  live: LiveService,
  req: ContractInitRequest,
  repository: string | undefined,
  lb: EcsLoadBalancer | undefined,
): ContainerDefinition {
  const containers = live.taskDefinition.containerDefinitions ?? [];
  const names = containers.map((c) => c.name).join(', ');
  const wanted = req.container ?? lb?.containerName;
  if (wanted) {
    const found = containers.find((c) => c.name === wanted);
    if (!found) {
      throw new ContractInitError(
        `task definition ${live.taskDefinition.taskDefinitionArn} has no container "${wanted}"; its containers: ${names}`,
      );
    }
    return found;
  }
  const fromRepo = containers.filter((c) => repository && ecrRepositoryOf(c.image) === repository);
  if (fromRepo.length === 1) return fromRepo[0];
  const essential = containers.filter((c) => c.essential !== false);
  if (essential.length === 1) return essential[0];
  throw new ContractInitError(
    `cannot tell which container Shipgate should deploy (containers: ${names}); pass --container <name>`,
  );
}

/**
 * Whether a lifecycle hook is Shipgate's verify hook, which stays on a service Shipgate deployed (strategy.ts,
 * `configurationBetweenDeployments`) and must not be copied into the contract (it would run twice). The stack
 * creates it as construct `VerifyHook<Environment>`, so CloudFormation names the function
 * `<stack>-VerifyHook<Environment>…`, and ECS runs it at POST_TEST_TRAFFIC_SHIFT only.
 */
export function isShipgateVerifyHook(hookTargetArn: string, stages: string[]): boolean {
  const fn = /:function:([^:]+)/.exec(hookTargetArn)?.[1] ?? '';
  return /-VerifyHook[A-Z]/.test(fn) && stages.length === 1 && stages[0] === 'POST_TEST_TRAFFIC_SHIFT';
}

/**
 * Reads the running service and builds its contract; checks it the way a release will (schema, the config's
 * repository, the strategy planned against the config).
 * @throws ContractInitError naming the flag to pass for what AWS cannot tell, or what disagrees.
 * @throws LiveServiceError when the service or a rule it names does not exist.
 */
export async function contractFromService(
  clients: LiveClients,
  config: ShipgateConfig,
  req: ContractInitRequest,
): Promise<ContractInitResult> {
  const notes: string[] = [];
  const configured = config.services[req.name];
  if (!configured) {
    throw new ContractInitError(
      `"${req.name}" is not a service in the config (services: ${Object.keys(config.services).join(', ')}); add it under services, or pass --name <service> when the ECS service is named differently`,
    );
  }
  if (!config.environments.some((e) => e.name === req.environment)) {
    throw new ContractInitError(
      `"${req.environment}" is not an environment in the config (environments: ${config.environments.map((e) => e.name).join(', ')})`,
    );
  }
  const live = await describeLiveService(clients, req.cluster, req.service);
  const strategy = strategyOf(live, req);
  const lbs = live.service.loadBalancers ?? [];
  const lb = lbs.find((l) => l.advancedConfiguration) ?? lbs[0];
  const container = pickContainer(live, req, configured.repository, lb);
  const imageRepo = ecrRepositoryOf(container.image);
  if (imageRepo && imageRepo !== configured.repository) {
    throw new ContractInitError(
      `container "${container.name}" runs ${container.image}, from ECR repository "${imageRepo}", but the config has services.${req.name}.repository = "${configured.repository}"; make them agree (or pass --container)`,
    );
  }
  if (!imageRepo) {
    notes.push(
      `container "${container.name}" runs ${container.image ?? '(no image)'}, not an ECR image: releases will replace it with images of ECR repository "${configured.repository}"`,
    );
  }
  // The load balancer's port belongs to the load balancer's container; another container has its own.
  const containerPort =
    (lb && lb.containerName === container.name ? lb.containerPort : undefined) ??
    container.portMappings?.[0]?.containerPort;
  if (!containerPort) {
    throw new ContractInitError(
      `container "${container.name}" has no port mapping and the service no load balancer, so its port is unknown; add a portMapping to the task definition`,
    );
  }

  let blueGreen: DeployContract['blueGreen'] = null;
  let smokeUrl = req.smokeUrl;
  let smokePath = req.smokePath;
  const targetGroupArns = [...live.targetGroups.keys()];
  if (strategy === 'BLUE_GREEN' || strategy === 'LINEAR' || strategy === 'CANARY') {
    const adv = lb?.advancedConfiguration;
    if (!adv?.alternateTargetGroupArn || !adv.productionListenerRule || !adv.roleArn) {
      throw new ContractInitError(
        `service "${req.service}" deploys ${strategy} but has no load balancer with advancedConfiguration (alternate target group, production listener rule, role); ECS needs them to shift traffic, and Shipgate reads them from there`,
      );
    }
    if (!adv.testListenerRule) {
      throw new ContractInitError(
        `service "${req.service}" has no test listener rule (loadBalancers[].advancedConfiguration.testListenerRule); Shipgate smoke-checks the new revision on test traffic before production traffic moves: add a test listener and rule to the service`,
      );
    }
    const production = await resolveRule(clients, adv.productionListenerRule);
    const test = await resolveRule(clients, adv.testListenerRule);
    for (const [what, r] of [
      ['production', production],
      ['test', test],
    ] as const) {
      const missing = [lb.targetGroupArn, adv.alternateTargetGroupArn].filter(
        (a) => a && !r.targetGroupArns.includes(a),
      );
      if (missing.length) {
        notes.push(
          `the ${what} listener rule forwards to ${r.targetGroupArns.join(', ') || 'no target group'}, not to ${missing.join(' and ')}; ECS rewrites its weights at the next deployment`,
        );
      }
    }
    smokeUrl ??= ruleBaseUrl(production);
    const testUrl = req.testUrl ?? ruleBaseUrl(test);
    if (!testUrl) {
      throw new ContractInitError(
        `cannot tell the test listener's URL from ${adv.testListenerRule} (no HTTP(S) listener or host); pass --test-url https://…`,
      );
    }
    if (!req.testUrl) notes.push(`testUrl ${testUrl}: the test listener (${adv.testListenerRule})`);
    if (test.loadBalancer?.Scheme === 'internal' || production.loadBalancer?.Scheme === 'internal') {
      notes.push(
        'the load balancer is internal: the Verify function must reach it (run Shipgate in a VPC that routes to it)',
      );
    }
    blueGreen = {
      alternateTargetGroupArn: adv.alternateTargetGroupArn,
      productionListenerRuleArn: adv.productionListenerRule,
      testListenerRuleArn: adv.testListenerRule,
      infrastructureRoleArn: adv.roleArn,
      testUrl,
    };
  } else if (!smokeUrl && lb?.targetGroupArn) {
    // A rolling service behind a load balancer: the first HTTPS (else HTTP) listener that forwards to it.
    const tg = live.targetGroups.get(lb.targetGroupArn);
    for (const lbArn of tg?.LoadBalancerArns ?? []) {
      smokeUrl = await resolveListenerUrl(clients, lbArn, lb.targetGroupArn);
      if (smokeUrl) break;
    }
  }
  if (!smokeUrl) {
    throw new ContractInitError(
      `service "${req.service}" ${lbs.length ? 'has no HTTP(S) listener Shipgate could read a URL from' : 'has no load balancer'}, so the URL where Verify reaches it cannot be read from AWS; pass --smoke-url https://…`,
    );
  }
  if (!req.smokeUrl) notes.push(`smokeUrl ${smokeUrl}: the production listener`);
  if (!smokePath) {
    const hc = lb?.targetGroupArn ? live.targetGroups.get(lb.targetGroupArn)?.HealthCheckPath : undefined;
    smokePath = hc && hc.startsWith('/') ? hc : '/readyz';
    notes.push(
      hc
        ? `smokePath ${smokePath}: the target group's health check path (--smoke-path to change)`
        : `smokePath ${smokePath}: the default, nothing in AWS names one (--smoke-path to change)`,
    );
  }

  let codeDeploy: DeployContract['codeDeploy'] = null;
  if (strategy === 'CODEDEPLOY') {
    if (!req.codeDeployApplication || !req.codeDeployGroup) {
      throw new ContractInitError(
        `service "${req.service}" is deployed by CodeDeploy; pass --codedeploy-application <name> and --codedeploy-group <name> (its deployment group)`,
      );
    }
    codeDeploy = { application: req.codeDeployApplication, deploymentGroup: req.codeDeployGroup };
  }

  const dc = live.service.deploymentConfiguration;
  const alarms = new Set(dc?.alarms?.enable ? (dc.alarms.alarmNames ?? []) : []);
  if (alarms.size) notes.push(`alarms ${[...alarms].join(', ')}: on the service's deployment configuration`);
  const clusterName = shortName(live.service.clusterArn ?? req.cluster);
  for (const alarm of await alarmsWatching(
    clients,
    clusterName,
    live.service.serviceName ?? req.service,
    targetGroupArns,
  )) {
    if (!alarm.AlarmName || alarms.has(alarm.AlarmName)) continue;
    if (isScalingAlarm(alarm)) {
      // Target tracking's AlarmLow is in ALARM whenever load is low: as a deployment alarm it would roll back
      // every release.
      notes.push(`left out alarm ${alarm.AlarmName}: it drives Application Auto Scaling, not a rollback`);
      continue;
    }
    alarms.add(alarm.AlarmName);
    notes.push(
      `alarm ${alarm.AlarmName}: its metric ${alarm.Namespace}/${alarm.MetricName} is on this service; remove it if it should not roll a deployment back`,
    );
  }
  const lifecycleHooks = (dc?.lifecycleHooks ?? [])
    .filter((h) => h.hookTargetArn && h.roleArn && h.lifecycleStages?.length)
    .filter((h) => {
      if (!isShipgateVerifyHook(h.hookTargetArn!, h.lifecycleStages!)) return true;
      notes.push(
        `left out lifecycle hook ${h.hookTargetArn}: Shipgate's own verify hook, which it adds at each deployment`,
      );
      return false;
    })
    .map((h) => ({
      hookTargetArn: h.hookTargetArn!,
      roleArn: h.roleArn!,
      lifecycleStages: h.lifecycleStages!,
    }));

  const parsed = deployContractSchema.safeParse({
    version: 1,
    cluster: req.cluster,
    service: req.service,
    containerName: container.name,
    containerPort,
    strategy,
    codeDeploy,
    blueGreen,
    lifecycleHooks,
    smokeUrl,
    smokePath,
    alarms: [...alarms],
    repository: configured.repository,
  });
  if (!parsed.success) {
    throw new ContractInitError(
      `the contract read from AWS is not valid:\n${formatIssues(parsed.error.issues)}`,
    );
  }
  try {
    planRollout(parsed.data, config, req.name, req.environment);
  } catch (err) {
    throw new ContractInitError(`the config and this service disagree: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return { contract: parsed.data, notes };
}

/**
 * An alarm Application Auto Scaling acts on: its actions name a scaling policy (`arn:…:autoscaling:…`), or its
 * name is one target tracking creates (`TargetTracking-<resource>-AlarmHigh/AlarmLow-<id>`).
 */
export function isScalingAlarm(alarm: Pick<MetricAlarm, 'AlarmName' | 'AlarmActions'>): boolean {
  if (alarm.AlarmName?.startsWith('TargetTracking-')) return true;
  return (alarm.AlarmActions ?? []).some((a) => /^arn:[^:]+:autoscaling:/.test(a));
}
