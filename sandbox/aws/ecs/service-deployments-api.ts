import { AwsServiceError, epochSeconds } from '../protocol';
import { paginateUnordered } from '../variation';
import type { EcsContext } from './context';
import { serviceDeploymentStore, serviceOf, type StoredTaskDefinition } from './model';
import {
  FINAL,
  STOPPABLE,
  briefJson,
  serviceDeploymentJson,
  type StoredServiceDeployment,
} from './service-deployment-model';
import { beginRollback } from './rollback';
import { cancelPauses } from './pause-hooks';
import { reason } from './reasons';
import { scheduleStep } from './service-deployments';
import { findService, requireService, runningTaskDefinition } from './services';
import { findTaskDefinition } from './task-definitions';

/**
 * The service deployments API: ListServiceDeployments, DescribeServiceDeployments, StopServiceDeployment,
 * and the read-only views the console and the sandbox's traffic routing use.
 */

function serviceDeploymentByArn(ctx: EcsContext, arn: unknown): StoredServiceDeployment {
  const sd = typeof arn === 'string' ? serviceDeploymentStore(ctx.store.data)[arn] : undefined;
  if (!sd) {
    throw new AwsServiceError(
      'ServiceDeploymentNotFoundException',
      `The service deployment ${String(arn)} does not exist.`,
    );
  }
  return sd;
}

/** ListServiceDeployments: filtered by status and creation time, in no documented order, 20 a page by default. */
export function listServiceDeployments(ctx: EcsContext, input: Record<string, unknown>) {
  const s = requireService(ctx, input);
  const wanted = Array.isArray(input.status) ? new Set(input.status as string[]) : undefined;
  const created = (input.createdAt ?? {}) as { before?: number; after?: number };
  const all = Object.values(serviceDeploymentStore(ctx.store.data))
    .filter((sd) => sd.serviceArn === s.arn)
    .filter((sd) => !wanted || wanted.has(sd.status))
    .filter((sd) => created.after === undefined || sd.createdAt >= Number(created.after))
    .filter((sd) => created.before === undefined || sd.createdAt <= Number(created.before))
    .sort((a, b) => (a.arn < b.arn ? -1 : a.arn > b.arn ? 1 : 0))
    .map(briefJson);
  // The API reference documents no order (CONVENTIONS: keep no promise AWS does not make).
  const { page, nextToken } = paginateUnordered(all, input.maxResults, input.nextToken, 20);
  return { serviceDeployments: page, nextToken };
}

/** DescribeServiceDeployments: 1 to 20 ARNs; unknown ones are reported as failures. */
export function describeServiceDeployments(ctx: EcsContext, input: Record<string, unknown>) {
  const arns = input.serviceDeploymentArns;
  if (!Array.isArray(arns) || arns.length === 0 || arns.length > 20) {
    throw new AwsServiceError(
      'InvalidParameterException',
      'serviceDeploymentArns must list from 1 to 20 service deployment ARNs.',
    );
  }
  const serviceDeployments: unknown[] = [];
  const failures: unknown[] = [];
  for (const arn of arns as string[]) {
    const sd = serviceDeploymentStore(ctx.store.data)[arn];
    if (sd) serviceDeployments.push(serviceDeploymentJson(sd));
    else failures.push({ arn, reason: 'MISSING', detail: 'The service deployment does not exist.' });
  }
  return { serviceDeployments, failures };
}

/**
 * StopServiceDeployment: ROLLBACK (the default) or ABORT, accepted in PENDING, IN_PROGRESS,
 * STOP_REQUESTED, ROLLBACK_REQUESTED and ROLLBACK_IN_PROGRESS; a stop already under way continues.
 */
export function stopServiceDeployment(ctx: EcsContext, input: Record<string, unknown>) {
  const sd = serviceDeploymentByArn(ctx, input.serviceDeploymentArn);
  const stopType = input.stopType ?? 'ROLLBACK';
  if (stopType !== 'ROLLBACK' && stopType !== 'ABORT') {
    throw new AwsServiceError(
      'InvalidParameterException',
      `stopType must be ABORT or ROLLBACK; received ${String(stopType)}.`,
    );
  }
  if (!STOPPABLE.has(sd.status)) {
    throw new AwsServiceError(
      'ConflictException',
      `The service deployment ${sd.arn} is ${sd.status} and cannot be stopped.`,
    );
  }
  const s = serviceOf(ctx.store.data, sd);
  if (sd.status === 'IN_PROGRESS' || sd.status === 'PENDING') {
    if (s && stopType === 'ROLLBACK') {
      ctx.timers.cancel(sd.arn);
      cancelPauses(ctx, sd);
      beginRollback(ctx, sd, s, 'USER', reason('stopRollback'));
      scheduleStep(ctx, sd, ctx.phaseMs);
    } else if (s) {
      ctx.timers.cancel(sd.arn);
      sd.status = 'STOP_REQUESTED';
      cancelPauses(ctx, sd);
      sd.statusReason = reason('stopAbort');
      sd.updatedAt = epochSeconds();
      ctx.store.changed();
      scheduleStep(ctx, sd, ctx.phaseMs);
    }
  }
  return { serviceDeploymentArn: sd.arn };
}

/**
 * The task definition test traffic reaches on a service: the target revision of a service deployment
 * whose test traffic moved to it, else what runs.
 */
export function testTrafficTaskDefinition(
  ctx: EcsContext,
  cluster: string,
  service: string,
): StoredTaskDefinition | undefined {
  const s = findService(ctx, cluster, service);
  if (!s) return undefined;
  const live = Object.values(serviceDeploymentStore(ctx.store.data)).find(
    (sd) => sd.serviceArn === s.arn && !FINAL.has(sd.status) && sd.testWeight > 0,
  );
  if (!live) return runningTaskDefinition(ctx, cluster, service);
  return findTaskDefinition(ctx, live.target.taskDefinition);
}
