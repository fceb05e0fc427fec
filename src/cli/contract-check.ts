import { CodeDeployClient, GetDeploymentGroupCommand } from '@aws-sdk/client-codedeploy';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { ShipgateConfig } from '../../lambdas/shared/config';
import { contractParameterName, type DeployContract } from '../../lambdas/shared/contract';
import { readContract } from '../../lambdas/domain/resolve/resolve';
import {
  describeLiveService,
  missingAlarms,
  resolveRule,
  shortName,
  type LiveClients,
  type LiveService,
} from './live-service';

/**
 * `contract check`'s core: the contract in SSM against the live service, one named check at a time. The names
 * are stable (scripts and `doctor` print them): contract, service, controller, container, load-balancer,
 * roles, alarms, codedeploy.
 */

/** The outcome of one check: `skip` when it does not apply or cannot be run where the check runs. */
export interface CheckLine {
  name: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
}

/** Clients of {@link checkContract}: the live reads plus SSM (the contract) and CodeDeploy. */
export interface CheckClients extends LiveClients {
  ssm: Pick<SSMClient, 'send'>;
  codeDeploy: Pick<CodeDeployClient, 'send'>;
}

/** Options of {@link checkContract}. */
export interface CheckOptions {
  /**
   * The sandbox: it emulates neither Elastic Load Balancing nor load balancers on ECS services, so the
   * load-balancer and roles checks are skipped (and say so) instead of failing on what it cannot model.
   */
  sandbox?: boolean;
}

/** Formats a line: `ok   name  detail`. */
export function formatCheck(line: CheckLine, width = 14): string {
  return `${line.status.padEnd(4)} ${line.name.padEnd(width)} ${line.detail}`;
}

const ok = (name: string, detail: string): CheckLine => ({ name, status: 'ok', detail });
const fail = (name: string, detail: string): CheckLine => ({ name, status: 'fail', detail });
const skip = (name: string, detail: string): CheckLine => ({ name, status: 'skip', detail });

function controllerCheck(contract: DeployContract, live: LiveService): CheckLine {
  const controller = live.service.deploymentController?.type ?? 'ECS';
  const wants = contract.strategy === 'CODEDEPLOY' ? 'CODE_DEPLOY' : 'ECS';
  return controller === wants
    ? ok('controller', `${controller} deployment controller, as ${contract.strategy} needs`)
    : fail(
        'controller',
        `the contract says ${contract.strategy}, which needs the ${wants} deployment controller; the service has ${controller}`,
      );
}

function containerCheck(contract: DeployContract, live: LiveService): CheckLine {
  const containers = live.taskDefinition.containerDefinitions ?? [];
  const c = containers.find((x) => x.name === contract.containerName);
  const td = shortName(live.taskDefinition.taskDefinitionArn ?? '');
  if (!c) {
    return fail(
      'container',
      `task definition ${td} has no container "${contract.containerName}" (it has ${containers.map((x) => x.name).join(', ')})`,
    );
  }
  const ports = (c.portMappings ?? []).map((p) => p.containerPort);
  const lbPorts = (live.service.loadBalancers ?? [])
    .filter((l) => l.containerName === contract.containerName)
    .map((l) => l.containerPort);
  if (!ports.includes(contract.containerPort) && !lbPorts.includes(contract.containerPort)) {
    return fail(
      'container',
      `container "${c.name}" of ${td} maps port(s) ${ports.join(', ') || 'none'}, not containerPort ${contract.containerPort}`,
    );
  }
  return ok('container', `"${c.name}" on port ${contract.containerPort} in ${td}`);
}

async function loadBalancerChecks(
  clients: CheckClients,
  contract: DeployContract,
  live: LiveService,
  options: CheckOptions,
): Promise<CheckLine[]> {
  const bg = contract.blueGreen;
  if (!bg) {
    return [
      skip('load-balancer', `${contract.strategy}: no blue/green target groups or listener rules to check`),
      skip('roles', `${contract.strategy}: no infrastructure role to check`),
    ];
  }
  if (options.sandbox) {
    return [
      skip('load-balancer', 'the sandbox emulates no Elastic Load Balancing (test traffic is its own route)'),
      skip('roles', 'the sandbox emulates no IAM roles for ECS blue/green'),
    ];
  }
  const lb = (live.service.loadBalancers ?? []).find((l) => l.advancedConfiguration);
  const adv = lb?.advancedConfiguration;
  if (!lb || !adv) {
    return [
      fail(
        'load-balancer',
        `the contract is ${contract.strategy} but the service has no load balancer with advancedConfiguration (alternate target group, listener rules, role)`,
      ),
      fail('roles', 'no infrastructure role on the service to compare with blueGreen.infrastructureRoleArn'),
    ];
  }
  const problems: string[] = [];
  const pairs: [string, string | undefined, string][] = [
    ['alternate target group', adv.alternateTargetGroupArn, bg.alternateTargetGroupArn],
    ['production listener rule', adv.productionListenerRule, bg.productionListenerRuleArn],
    ['test listener rule', adv.testListenerRule, bg.testListenerRuleArn],
  ];
  for (const [what, onService, inContract] of pairs) {
    if (onService !== inContract)
      problems.push(`${what}: contract ${inContract}, service ${onService ?? 'none'}`);
  }
  for (const arn of [lb.targetGroupArn, bg.alternateTargetGroupArn]) {
    if (arn && !live.targetGroups.has(arn)) problems.push(`target group ${arn} does not exist`);
  }
  for (const [what, arn] of [
    ['production', bg.productionListenerRuleArn],
    ['test', bg.testListenerRuleArn],
  ] as const) {
    try {
      const rule = await resolveRule(clients, arn);
      const strays = [lb.targetGroupArn, bg.alternateTargetGroupArn].filter(
        (tg) => tg && !rule.targetGroupArns.includes(tg),
      );
      if (strays.length) problems.push(`the ${what} rule does not forward to ${strays.join(' and ')}`);
    } catch (err) {
      problems.push((err as Error).message);
    }
  }
  const lines = [
    problems.length
      ? fail('load-balancer', problems.join('; '))
      : ok(
          'load-balancer',
          'target groups exist; production and test listener rules match the service and forward to both',
        ),
  ];
  lines.push(
    adv.roleArn === bg.infrastructureRoleArn
      ? ok('roles', `ECS shifts traffic with ${bg.infrastructureRoleArn}`)
      : fail(
          'roles',
          `contract infrastructureRoleArn ${bg.infrastructureRoleArn}, service uses ${adv.roleArn ?? 'none'}`,
        ),
  );
  return lines;
}

async function codeDeployCheck(clients: CheckClients, contract: DeployContract): Promise<CheckLine> {
  const cd = contract.codeDeploy;
  if (contract.strategy !== 'CODEDEPLOY' || !cd) return skip('codedeploy', 'not a CodeDeploy service');
  try {
    const out = await clients.codeDeploy.send(
      new GetDeploymentGroupCommand({
        applicationName: cd.application,
        deploymentGroupName: cd.deploymentGroup,
      }),
    );
    const services = out.deploymentGroupInfo?.ecsServices ?? [];
    const bound = services.some(
      (s) => s.serviceName === shortName(contract.service) && s.clusterName === shortName(contract.cluster),
    );
    return bound
      ? ok('codedeploy', `deployment group ${cd.application}/${cd.deploymentGroup} deploys this service`)
      : fail(
          'codedeploy',
          `deployment group ${cd.application}/${cd.deploymentGroup} deploys ${services.map((s) => `${s.clusterName}/${s.serviceName}`).join(', ') || 'no ECS service'}, not ${shortName(contract.cluster)}/${shortName(contract.service)}`,
        );
  } catch (err) {
    return fail(
      'codedeploy',
      `${cd.application}/${cd.deploymentGroup}: ${(err as Error).name}: ${(err as Error).message}`,
    );
  }
}

/**
 * Runs every check of (environment, service) and returns one line each; stops after `contract` or `service`
 * when there is nothing left to compare with.
 */
export async function checkContract(
  clients: CheckClients,
  config: ShipgateConfig,
  environment: string,
  service: string,
  options: CheckOptions = {},
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const name = contractParameterName(config.contractsPrefix, environment, service);
  let contract: DeployContract;
  try {
    contract = await readContract(environment, service, { config, ssm: clients.ssm });
    lines.push(ok('contract', `${name} is valid and agrees with the config`));
  } catch (err) {
    lines.push(fail('contract', (err as Error).message.replace(/\n/g, ' ')));
    return lines;
  }
  let live: LiveService;
  try {
    live = await describeLiveService(clients, contract.cluster, contract.service);
    lines.push(
      ok(
        'service',
        `${shortName(contract.service)} is ACTIVE in ${shortName(contract.cluster)} (${shortName(live.service.taskDefinition ?? '')})`,
      ),
    );
  } catch (err) {
    lines.push(fail('service', (err as Error).message));
    return lines;
  }
  lines.push(controllerCheck(contract, live), containerCheck(contract, live));
  lines.push(...(await loadBalancerChecks(clients, contract, live, options)));
  if (contract.alarms.length === 0) {
    lines.push(skip('alarms', 'the contract names no alarms'));
  } else {
    try {
      const missing = await missingAlarms(clients, contract.alarms);
      lines.push(
        missing.length
          ? fail('alarms', `CloudWatch has no alarm ${missing.join(', ')}`)
          : ok('alarms', `${contract.alarms.join(', ')} exist`),
      );
    } catch (err) {
      lines.push(fail('alarms', `${(err as Error).name}: ${(err as Error).message}`));
    }
  }
  lines.push(await codeDeployCheck(clients, contract));
  return lines;
}
