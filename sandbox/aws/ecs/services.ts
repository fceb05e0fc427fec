import { AwsServiceError, epochSeconds, requireString } from '../protocol';
import { paginateUnordered } from '../variation';
import { cluster } from './clusters';
import type { EcsContext } from './context';
import { addEvent } from './events';
import {
  arnPrefix,
  arnPrefixOf,
  serviceKey,
  shortName,
  type StoredService,
  type StoredTaskDefinition,
} from './model';
import { newDeployment, startDeployment } from './rolling';
import { validateDeploymentConfiguration } from './service-deployment-model';
import { startServiceDeployment, trafficShifting } from './service-deployments';
import { findTaskDefinition, resolveTaskDefinition } from './task-definitions';

/**
 * Services: CreateService, UpdateService (which starts a rolling deployment or a service deployment),
 * DescribeServices, ListServices, seeding, and what other emulators and the console ask of a service.
 */

/** The service, or undefined. */
export function findService(
  ctx: EcsContext,
  clusterName: string,
  service: string,
): StoredService | undefined {
  return ctx.store.data.services[serviceKey(shortName(clusterName), shortName(service))];
}

/** The service a call names in `service` (by name or ARN). @throws ServiceNotFoundException */
export function requireService(ctx: EcsContext, input: Record<string, unknown>): StoredService {
  const c = cluster(ctx, input.cluster);
  const name = shortName(requireString(input, 'service', 'InvalidParameterException'));
  const s = ctx.store.data.services[serviceKey(c.name, name)];
  if (!s) throw new AwsServiceError('ServiceNotFoundException', 'Service not found.');
  return s;
}

/** The Service shape the API returns. */
function serviceJson(s: StoredService) {
  const clusterArn = `${arnPrefixOf(s.arn)}:cluster/${s.cluster}`;
  return {
    serviceArn: s.arn,
    serviceName: s.name,
    clusterArn,
    loadBalancers: [],
    serviceRegistries: [],
    status: 'ACTIVE',
    desiredCount: s.desiredCount,
    runningCount: s.deployments.reduce((n, d) => n + d.runningCount, 0),
    pendingCount: s.deployments.reduce((n, d) => n + d.pendingCount, 0),
    launchType: s.launchType,
    platformVersion: 'LATEST',
    platformFamily: 'Linux',
    taskDefinition: s.taskDefinition,
    deploymentConfiguration: s.deploymentConfiguration,
    deployments: s.deployments.map((d) => ({
      id: d.id,
      status: d.status,
      taskDefinition: d.taskDefinition,
      desiredCount: d.desiredCount,
      pendingCount: d.pendingCount,
      runningCount: d.runningCount,
      failedTasks: d.failedTasks,
      createdAt: d.createdAt,
      updatedAt: d.updatedAt,
      launchType: s.launchType,
      platformVersion: '1.4.0',
      platformFamily: 'Linux',
      rolloutState: d.rolloutState,
      rolloutStateReason: d.rolloutStateReason,
    })),
    events: s.events,
    createdAt: s.createdAt,
    createdBy: `arn:aws:iam::${s.arn.split(':')[4]}:role/shipgate-sandbox`,
    deploymentController: s.deploymentController,
    ...(s.currentServiceDeployment ? { currentServiceDeployment: s.currentServiceDeployment } : {}),
    schedulingStrategy: 'REPLICA',
    enableECSManagedTags: false,
    propagateTags: 'NONE',
    enableExecuteCommand: false,
  };
}

function defaultDeploymentConfiguration(input: unknown): Record<string, unknown> {
  const given = (input ?? {}) as Record<string, unknown>;
  return {
    maximumPercent: 200,
    minimumHealthyPercent: 100,
    deploymentCircuitBreaker: { enable: false, rollback: false },
    ...given,
  };
}

/** CreateService; `seeded` creates it with its first deployment already complete. */
export function createService(ctx: EcsContext, input: Record<string, unknown>, seeded = false) {
  const c = cluster(ctx, input.cluster);
  const name = requireString(input, 'serviceName', 'InvalidParameterException');
  if (ctx.store.data.services[serviceKey(c.name, name)]) {
    throw new AwsServiceError('InvalidParameterException', 'Creation of service was not idempotent.');
  }
  const td = resolveTaskDefinition(ctx, requireString(input, 'taskDefinition', 'InvalidParameterException'));
  const s: StoredService = {
    name,
    arn: `${arnPrefix(ctx)}:service/${c.name}/${name}`,
    cluster: c.name,
    taskDefinition: td.arn,
    desiredCount: typeof input.desiredCount === 'number' ? input.desiredCount : 1,
    createdAt: epochSeconds(),
    launchType: typeof input.launchType === 'string' ? input.launchType : 'FARGATE',
    deploymentConfiguration: defaultDeploymentConfiguration(input.deploymentConfiguration),
    deploymentController: (input.deploymentController as { type: string }) ?? { type: 'ECS' },
    deployments: [],
    events: [],
  };
  ctx.store.data.services[serviceKey(c.name, name)] = s;
  if (seeded) {
    const d = newDeployment(s, td.arn);
    Object.assign(d, {
      runningCount: d.desiredCount,
      rolloutState: 'COMPLETED',
      rolloutStateReason: `ECS deployment ${d.id} completed.`,
      phase: 2,
    });
    s.deployments = [d];
    s.stableTaskDefinition = td.arn;
    addEvent(s, 'has reached a steady state.');
    ctx.store.changed();
  } else {
    startDeployment(ctx, s, td.arn);
  }
  return { service: serviceJson(s) };
}

/** UpdateService: a new task definition (or `forceNewDeployment`) starts a deployment. */
export function updateService(ctx: EcsContext, input: Record<string, unknown>) {
  const s = requireService(ctx, input);
  if (s.deploymentController.type === 'CODE_DEPLOY' && input.taskDefinition !== undefined) {
    throw new AwsServiceError(
      'InvalidParameterException',
      'Unable to update task definition on services with a CODE_DEPLOY deployment controller. Use AWS CodeDeploy to trigger a new deployment.',
    );
  }
  const merged = input.deploymentConfiguration
    ? { ...s.deploymentConfiguration, ...(input.deploymentConfiguration as object) }
    : s.deploymentConfiguration;
  // Refused before anything changes, as ECS refuses the whole call.
  validateDeploymentConfiguration(merged);
  const td =
    typeof input.taskDefinition === 'string'
      ? resolveTaskDefinition(ctx, input.taskDefinition).arn
      : s.taskDefinition;
  s.deploymentConfiguration = merged;
  if (typeof input.desiredCount === 'number') s.desiredCount = input.desiredCount;
  if (td !== s.taskDefinition || input.forceNewDeployment === true) {
    if (trafficShifting(s)) startServiceDeployment(ctx, s, td);
    else startDeployment(ctx, s, td);
  } else {
    for (const d of s.deployments) if (d.status === 'PRIMARY') d.desiredCount = s.desiredCount;
    ctx.store.changed();
  }
  return { service: serviceJson(s) };
}

/** DescribeServices. */
export function describeServices(ctx: EcsContext, input: Record<string, unknown>) {
  const c = cluster(ctx, input.cluster);
  const names = Array.isArray(input.services) ? (input.services as string[]) : [];
  const services: unknown[] = [];
  const failures: unknown[] = [];
  for (const n of names) {
    const s = ctx.store.data.services[serviceKey(c.name, shortName(n))];
    if (s) services.push(serviceJson(s));
    else
      failures.push({
        arn: n.startsWith('arn:') ? n : `${arnPrefix(ctx)}:service/${c.name}/${n}`,
        reason: 'MISSING',
      });
  }
  return { services, failures };
}

/** ListServices. */
export function listServices(ctx: EcsContext, input: Record<string, unknown>) {
  const c = cluster(ctx, input.cluster);
  const arns = Object.values(ctx.store.data.services)
    .filter((s) => s.cluster === c.name)
    .map((s) => s.arn);
  const { page, nextToken } = paginateUnordered(arns.sort(), input.maxResults, input.nextToken, 10);
  return { serviceArns: page, nextToken };
}

/**
 * What a service runs when nothing is in flight: the task definition of the PRIMARY deployment once it
 * completed, else the last stable one.
 */
export function runningTaskDefinition(
  ctx: EcsContext,
  clusterName: string,
  service: string,
): StoredTaskDefinition | undefined {
  const s = findService(ctx, clusterName, service);
  if (!s) return undefined;
  const primary = s.deployments.find((d) => d.status === 'PRIMARY');
  const arn = primary?.rolloutState === 'COMPLETED' ? primary.taskDefinition : s.stableTaskDefinition;
  return arn ? findTaskDefinition(ctx, arn) : undefined;
}

/**
 * Switches a CODE_DEPLOY-controlled service to a new task definition (CodeDeploy's replacement task set
 * became primary) or records a failed attempt.
 */
export function applyExternalDeployment(
  ctx: EcsContext,
  clusterName: string,
  service: string,
  taskDefinition: string,
  succeeded: boolean,
): void {
  const s = findService(ctx, clusterName, service);
  if (!s) return;
  const now = epochSeconds();
  if (succeeded) {
    s.taskDefinition = taskDefinition;
    s.stableTaskDefinition = taskDefinition;
    s.deployments = [
      {
        ...newDeployment(s, taskDefinition),
        runningCount: s.desiredCount,
        rolloutState: 'COMPLETED',
        rolloutStateReason: 'CodeDeploy deployment succeeded.',
        createdAt: now,
        updatedAt: now,
        phase: 2,
      },
    ];
    addEvent(s, 'updated state to STEADY_STATE: replacement task set is primary.');
  } else {
    addEvent(
      s,
      'CodeDeploy deployment failed: replacement task set tasks failed to start; traffic stayed on the original task set.',
    );
  }
  ctx.store.changed();
}
