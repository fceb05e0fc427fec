import { epochSeconds } from '../protocol';
import type { EcsContext } from './context';
import { addEvent, emit } from './events';
import { deploymentIn, type StoredService } from './model';
import { settleCompleted, startDeploymentSilently } from './rolling';
import type { RollbackCause, StoredServiceDeployment } from './service-deployment-model';

/**
 * How a service deployment of the blue/green family ends when it does not succeed: ROLLBACK_REQUESTED →
 * ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL, or STOP_REQUESTED → STOPPED for an ABORT. Each function makes
 * one transition; the caller schedules the next step (see `service-deployments.ts`).
 */

/**
 * Starts a rollback: the service deployment goes ROLLBACK_REQUESTED, the target's ECS deployment FAILED
 * (SERVICE_DEPLOYMENT_FAILED), and a rollback deployment on the source revision starts
 * (SERVICE_DEPLOYMENT_IN_PROGRESS, "sent for both initial deployments and rollback deployments").
 */
export function beginRollback(
  ctx: EcsContext,
  sd: StoredServiceDeployment,
  s: StoredService,
  cause: RollbackCause,
  reason: string,
): void {
  const now = epochSeconds();
  sd.status = 'ROLLBACK_REQUESTED';
  sd.statusReason = reason;
  sd.updatedAt = now;
  sd.rollback = { reason, startedAt: now, serviceRevisionArn: sd.source.arn, cause };
  sd.stageHooks = undefined;
  const target = deploymentIn(s, sd.target.deploymentId);
  const rollback = startDeploymentSilently(ctx, s, sd.source.taskDefinition);
  sd.source.deploymentId = rollback.id;
  if (target) {
    target.rolloutState = 'FAILED';
    target.rolloutStateReason = reason;
    target.updatedAt = now;
  }
  addEvent(s, `deployment ${sd.target.deploymentId} deployment failed: ${reason}`);
  addEvent(s, `rolling back to deployment ${rollback.id}.`);
  ctx.store.changed();
  if (target) {
    emit(
      ctx,
      s,
      target,
      'SERVICE_DEPLOYMENT_FAILED',
      'ERROR',
      `${reason} Rolling back to deploymentId ${rollback.id}.`,
    );
  }
  emit(
    ctx,
    s,
    rollback,
    'SERVICE_DEPLOYMENT_IN_PROGRESS',
    'INFO',
    `ECS deployment ${rollback.id} in progress: rolling back.`,
  );
}

/** ROLLBACK_REQUESTED → ROLLBACK_IN_PROGRESS: production and test traffic go back to the source revision. */
export function rollbackInProgress(ctx: EcsContext, sd: StoredServiceDeployment, s: StoredService): void {
  sd.status = 'ROLLBACK_IN_PROGRESS';
  // Production and test traffic go back to the source revision first.
  sd.productionWeight = 0;
  sd.testWeight = 0;
  addEvent(s, 'rollback: production and test traffic back on the source revision.');
  ctx.store.changed();
}

/** ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL: the source revision runs alone again. */
export function rollbackDone(ctx: EcsContext, sd: StoredServiceDeployment, s: StoredService): void {
  const now = epochSeconds();
  sd.status = 'ROLLBACK_SUCCESSFUL';
  sd.finishedAt = sd.updatedAt = now;
  sd.targetRunning = 0;
  const rollback = deploymentIn(s, sd.source.deploymentId);
  if (rollback) settleCompleted(s, rollback, now);
  s.taskDefinition = sd.source.taskDefinition;
  s.stableTaskDefinition = sd.source.taskDefinition;
  addEvent(s, `deployment ${sd.source.deploymentId} deployment completed (rollback).`);
  addEvent(s, 'has reached a steady state.');
  ctx.store.changed();
  if (rollback) emit(ctx, s, rollback, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', rollback.rolloutStateReason);
}

/** STOP_REQUESTED → STOPPED (an ABORT: nothing is rolled back). */
export function stopped(ctx: EcsContext, sd: StoredServiceDeployment, s: StoredService): void {
  const now = epochSeconds();
  sd.status = 'STOPPED';
  sd.stoppedAt = sd.finishedAt = sd.updatedAt = now;
  const target = deploymentIn(s, sd.target.deploymentId);
  addEvent(s, `deployment ${sd.target.deploymentId} stopped (ABORT) at ${sd.lifecycleStage}.`);
  ctx.store.changed();
  if (target) emit(ctx, s, target, 'SERVICE_DEPLOYMENT_FAILED', 'ERROR', sd.statusReason);
}
