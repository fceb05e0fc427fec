import { epochSeconds, randomHex } from '../protocol';
import type { EcsContext } from './context';
import { logEnd, logStart } from './deployment-log';
import { addEvent, emit } from './events';
import type { StoredDeployment, StoredService } from './model';
import { imagesStart } from './task-definitions';

/**
 * ECS rolling deployments (the `ECS` controller's ROLLING strategy) with the deployment circuit breaker: the
 * new PRIMARY deployment goes IN_PROGRESS → COMPLETED (the previous one drains) or FAILED (rolled back to
 * the last stable revision when the circuit breaker's rollback is on). Each phase lasts `phaseMs`.
 */

/** A fresh PRIMARY deployment of `taskDefinition` for service `s` (not yet added to the service). */
export function newDeployment(s: StoredService, taskDefinition: string): StoredDeployment {
  const now = epochSeconds();
  return {
    id: `ecs-svc/${BigInt(`0x${randomHex(8)}`)
      .toString()
      .padStart(19, '1')
      .slice(0, 19)}`,
    status: 'PRIMARY',
    taskDefinition,
    desiredCount: s.desiredCount,
    pendingCount: 0,
    runningCount: 0,
    failedTasks: 0,
    createdAt: now,
    updatedAt: now,
    rolloutState: 'IN_PROGRESS',
    rolloutStateReason: '',
    phase: 0,
  };
}

/** Marks deployment `d` COMPLETED with all its tasks running and makes it the service's only deployment. */
export function settleCompleted(s: StoredService, d: StoredDeployment, now: number): void {
  d.rolloutState = 'COMPLETED';
  d.rolloutStateReason = `ECS deployment ${d.id} completed.`;
  d.runningCount = d.desiredCount;
  d.updatedAt = now;
  s.deployments = [d];
}

/** Starts a rolling deployment of `taskDefinition`, superseding whatever is in flight. */
export function startDeployment(
  ctx: EcsContext,
  s: StoredService,
  taskDefinition: string,
  rollbackOf?: StoredDeployment,
): StoredDeployment {
  ctx.timers.cancel(s.arn);
  const inFlight = s.deployments.filter((x) => x.rolloutState === 'IN_PROGRESS');
  for (const d of s.deployments) d.status = 'ACTIVE';
  const d = newDeployment(s, taskDefinition);
  for (const x of inFlight) logEnd(ctx, x, 'SUPERSEDED');
  logStart(ctx, s, d, 'update', inFlight);
  const breaker = (s.deploymentConfiguration.deploymentCircuitBreaker ?? {}) as {
    enable?: boolean;
    rollback?: boolean;
  };
  if (
    !rollbackOf &&
    breaker.enable &&
    breaker.rollback &&
    s.stableTaskDefinition &&
    s.stableTaskDefinition !== taskDefinition
  ) {
    d.rollbackTo = s.stableTaskDefinition;
  }
  d.rolloutStateReason = `ECS deployment ${d.id} in progress.`;
  s.deployments.unshift(d);
  s.taskDefinition = taskDefinition;
  ctx.store.changed();
  emit(ctx, s, d, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', d.rolloutStateReason);
  schedule(ctx, s, d);
  return d;
}

/** Runs the next phase of rolling deployment `d` after `phaseMs`. */
export function schedule(ctx: EcsContext, s: StoredService, d: StoredDeployment): void {
  ctx.timers.start(s.arn, ctx.phaseMs, () => advance(ctx, s, d));
}

/**
 * Puts a new PRIMARY deployment of `taskDefinition` at the head of the service's deployments without
 * emitting or scheduling anything (rollbacks, and the target of a service deployment, drive it themselves).
 */
export function startDeploymentSilently(
  ctx: EcsContext,
  s: StoredService,
  taskDefinition: string,
): StoredDeployment {
  const inFlight = s.deployments.filter((x) => x.rolloutState === 'IN_PROGRESS');
  for (const x of s.deployments) x.status = 'ACTIVE';
  const d = newDeployment(s, taskDefinition);
  logStart(ctx, s, d, 'rollback', inFlight);
  d.rolloutStateReason = `ECS deployment ${d.id} in progress.`;
  s.deployments.unshift(d);
  s.taskDefinition = taskDefinition;
  ctx.store.changed();
  return d;
}

/** One phase of a rolling deployment: tasks start (or fail to), then the deployment settles. */
function advance(ctx: EcsContext, s: StoredService, d: StoredDeployment): void {
  if (d.status !== 'PRIMARY' || d.rolloutState !== 'IN_PROGRESS') return;
  const starts = imagesStart(ctx, d.taskDefinition);
  d.updatedAt = epochSeconds();
  if (d.phase === 0) {
    d.phase = 1;
    if (starts) {
      d.runningCount = d.desiredCount;
      addEvent(s, `has started ${d.desiredCount} tasks: (task ${randomHex(16)}).`);
    } else {
      d.failedTasks += Math.max(d.desiredCount, 1);
      addEvent(
        s,
        `has started ${d.desiredCount} tasks: (task ${randomHex(16)}). Task stopped: Essential container in task exited (exit code 1).`,
      );
    }
    ctx.store.changed();
    schedule(ctx, s, d);
    return;
  }
  d.phase = 2;
  if (starts) {
    d.rolloutState = 'COMPLETED';
    d.rolloutStateReason = `ECS deployment ${d.id} completed.`;
    const drained = s.deployments.filter((x) => x !== d);
    const stopped = drained.reduce((n, x) => n + x.runningCount, 0);
    s.deployments = [d];
    s.stableTaskDefinition = d.taskDefinition;
    logEnd(ctx, d, 'COMPLETED');
    if (stopped) addEvent(s, `has stopped ${stopped} running tasks: (task ${randomHex(16)}).`);
    addEvent(s, `deployment ${d.id} deployment completed.`);
    addEvent(s, 'has reached a steady state.');
    ctx.store.changed();
    emit(ctx, s, d, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', d.rolloutStateReason);
    return;
  }
  const breaker = (s.deploymentConfiguration.deploymentCircuitBreaker ?? {}) as {
    enable?: boolean;
    rollback?: boolean;
  };
  if (!breaker.enable) {
    // Without the circuit breaker ECS keeps trying to start tasks; the deployment never settles.
    d.phase = 0;
    ctx.store.changed();
    schedule(ctx, s, d);
    return;
  }
  d.rolloutState = 'FAILED';
  logEnd(ctx, d, 'FAILED');
  if (d.rollbackTo) {
    d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    addEvent(s, `deployment ${d.id} deployment failed: tasks failed to start.`);
    ctx.store.changed();
    const rollback = startDeploymentSilently(ctx, s, d.rollbackTo);
    emit(
      ctx,
      s,
      d,
      'SERVICE_DEPLOYMENT_FAILED',
      'ERROR',
      `ECS deployment circuit breaker: rolling back to deploymentId ${rollback.id}.`,
    );
    addEvent(s, `rolling back to deployment ${rollback.id}.`);
    emit(ctx, s, rollback, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', rollback.rolloutStateReason);
    schedule(ctx, s, rollback);
  } else {
    d.rolloutStateReason = 'ECS deployment circuit breaker: tasks failed to start.';
    addEvent(s, `deployment ${d.id} deployment failed: tasks failed to start.`);
    ctx.store.changed();
    emit(ctx, s, d, 'SERVICE_DEPLOYMENT_FAILED', 'ERROR', d.rolloutStateReason);
  }
}
