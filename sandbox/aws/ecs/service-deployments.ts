import { epochSeconds, randomHex } from '../protocol';
import type { EcsContext } from './context';
import { addEvent, emit } from './events';
import { runStageHooks } from './lifecycle-hooks';
import { cancelPauses, pauseAll, stageHooksDone } from './pause-hooks';
import { reason } from './reasons';
import {
  arnPrefixOf,
  deploymentIn,
  serviceDeploymentStore,
  serviceOf,
  type StoredDeployment,
  type StoredService,
} from './model';
import { beginRollback, rollbackDone, rollbackInProgress, stopped } from './rollback';
import { settleCompleted, startDeploymentSilently } from './rolling';
import {
  FINAL,
  TRAFFIC_SHIFTING_STRATEGIES,
  planDeployment,
  type StoredHook,
  type StoredServiceDeployment,
} from './service-deployment-model';
import { failStage } from './task-definitions';

/**
 * The engine of service deployments of the blue/green family (BLUE_GREEN, LINEAR, CANARY): UpdateService
 * starts one, and a timer walks it through the steps of its plan (`planDeployment`) one at a time: stages,
 * traffic moves, waits, lifecycle hooks (`lifecycle-hooks.ts`), then success or a rollback (`rollback.ts`).
 */

/** Whether UpdateService on `s` runs a service deployment with traffic shifting (else a rolling deployment). */
export function trafficShifting(s: StoredService): boolean {
  const strategy = s.deploymentConfiguration.strategy;
  return (
    s.deploymentController.type === 'ECS' &&
    (TRAFFIC_SHIFTING_STRATEGIES as readonly unknown[]).includes(strategy)
  );
}

/** The service deployment whose target runs ECS deployment `deploymentId`, if any. */
export function serviceDeploymentOf(
  ctx: EcsContext,
  deploymentId: string,
): StoredServiceDeployment | undefined {
  return Object.values(serviceDeploymentStore(ctx.store.data)).find(
    (sd) => sd.target.deploymentId === deploymentId,
  );
}

function revisionArn(s: StoredService): string {
  return `${arnPrefixOf(s.arn)}:service-revision/${s.cluster}/${s.name}/${BigInt(`0x${randomHex(8)}`).toString()}`;
}

/** Starts a service deployment of `taskDefinition`, stopping one still in flight on the same service. */
export function startServiceDeployment(
  ctx: EcsContext,
  s: StoredService,
  taskDefinition: string,
): StoredDeployment {
  const now = epochSeconds();
  const store = serviceDeploymentStore(ctx.store.data);
  // A newer UpdateService supersedes a service deployment still in flight.
  for (const other of Object.values(store)) {
    if (other.serviceArn === s.arn && !FINAL.has(other.status)) {
      ctx.timers.cancel(other.arn);
      other.status = 'STOPPED';
      other.statusReason = 'Superseded by a newer service deployment.';
      other.stoppedAt = other.finishedAt = other.updatedAt = now;
    }
  }
  const sourceTaskDefinition = s.stableTaskDefinition ?? s.taskDefinition;
  const sourceDeployment =
    s.deployments.find((d) => d.status === 'PRIMARY' && d.rolloutState === 'COMPLETED') ?? s.deployments[0];
  const d = startDeploymentSilently(ctx, s, taskDefinition);
  const cfg = { ...s.deploymentConfiguration };
  const strategy = cfg.strategy as StoredServiceDeployment['strategy'];
  const id = randomHex(11);
  const sd: StoredServiceDeployment = {
    arn: `${arnPrefixOf(s.arn)}:service-deployment/${s.cluster}/${s.name}/${id}`,
    serviceArn: s.arn,
    clusterArn: `${arnPrefixOf(s.arn)}:cluster/${s.cluster}`,
    strategy,
    status: 'IN_PROGRESS',
    statusReason: `${strategy} service deployment in progress.`,
    lifecycleStage: 'PRE_SCALE_UP',
    createdAt: now,
    startedAt: now,
    updatedAt: now,
    source: {
      arn: revisionArn(s),
      taskDefinition: sourceTaskDefinition,
      deploymentId: sourceDeployment?.id ?? '',
    },
    target: { arn: revisionArn(s), taskDefinition, deploymentId: d.id },
    productionWeight: 0,
    testWeight: 0,
    desiredCount: s.desiredCount,
    targetRunning: 0,
    failedTasks: 0,
    deploymentConfiguration: cfg,
    hooks: ((cfg.lifecycleHooks ?? []) as StoredHook[]).map((h) => ({ ...h })),
    hookRuns: [],
    plan: planDeployment(strategy, cfg),
    next: 0,
    failAt: failStage(ctx, taskDefinition, s.cluster),
  };
  store[sd.arn] = sd;
  s.currentServiceDeployment = sd.arn;
  addEvent(s, `${strategy} deployment ${d.id} started (service deployment ${id}).`);
  ctx.store.changed();
  emit(ctx, s, d, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 'INFO', d.rolloutStateReason);
  scheduleStep(ctx, sd, ctx.phaseMs);
  return d;
}

/** Runs the next step of `sd` after `ms` (replacing a step already scheduled). */
export function scheduleStep(ctx: EcsContext, sd: StoredServiceDeployment, ms: number): void {
  if (ctx.timers.closed) return;
  ctx.timers.cancel(sd.arn);
  ctx.timers.start(sd.arn, Math.max(1, Math.round(ms)), () => {
    void tick(ctx, sd.arn).catch(() => undefined);
  });
}

/** Advances a service deployment by one step of its plan (or of its rollback). */
async function tick(ctx: EcsContext, arn: string): Promise<void> {
  const sd = serviceDeploymentStore(ctx.store.data)[arn];
  const s = sd && serviceOf(ctx.store.data, sd);
  if (!sd || !s || FINAL.has(sd.status)) return;
  sd.updatedAt = epochSeconds();
  if (sd.status === 'ROLLBACK_REQUESTED') {
    rollbackInProgress(ctx, sd, s);
    return scheduleStep(ctx, sd, ctx.phaseMs);
  }
  if (sd.status === 'ROLLBACK_IN_PROGRESS') return rollbackDone(ctx, sd, s);
  if (sd.status === 'STOP_REQUESTED') return stopped(ctx, sd, s);
  const step = sd.plan[sd.next];
  if (!step) return succeed(ctx, sd, s);
  sd.next += 1;
  if (step.kind !== 'hooks') sd.lifecycleStage = step.stage;
  const target = deploymentIn(s, sd.target.deploymentId);
  if (sd.failAt === step.stage && step.kind !== 'hooks') {
    sd.failedTasks += Math.max(sd.desiredCount, 1);
    if (target) target.failedTasks = sd.failedTasks;
    addEvent(
      s,
      `has started ${sd.desiredCount} tasks: (task ${randomHex(16)}). Task stopped: Essential container in task exited (exit code 1).`,
    );
    beginRollback(ctx, sd, s, 'CIRCUIT_BREAKER', reason('circuitBreaker'));
    return scheduleStep(ctx, sd, ctx.phaseMs);
  }
  switch (step.kind) {
    case 'enter':
      ctx.store.changed();
      return scheduleStep(ctx, sd, ctx.phaseMs);
    case 'scale-up':
      sd.targetRunning = sd.desiredCount;
      if (target) target.runningCount = sd.desiredCount;
      addEvent(s, `has started ${sd.desiredCount} tasks: (task ${randomHex(16)}).`);
      ctx.store.changed();
      return scheduleStep(ctx, sd, ctx.phaseMs);
    case 'test-traffic':
      sd.testWeight = step.percent;
      addEvent(s, `test traffic: ${step.percent}% on the target revision.`);
      ctx.store.changed();
      return scheduleStep(ctx, sd, ctx.phaseMs);
    case 'production-traffic':
      sd.productionWeight = step.percent;
      addEvent(s, `production traffic: ${step.percent}% on the target revision.`);
      ctx.store.changed();
      return scheduleStep(ctx, sd, ctx.phaseMs);
    case 'wait':
      // Each configured minute lasts phaseMs (SHIPGATE_SANDBOX_PHASE_MS) in the sandbox.
      ctx.store.changed();
      return scheduleStep(ctx, sd, step.minutes * ctx.phaseMs);
    case 'hooks': {
      // "All hooks configured at the same lifecycle stage run in parallel": the stage's PAUSE hooks wait
      // while its Lambda hooks run; the stage ends when all are done (pause-hooks.ts, stageHooksDone).
      sd.stageHooks = { stage: step.stage, lambdasDone: false };
      ctx.store.changed();
      pauseAll(ctx, sd, s, step.stage, scheduleStep);
      const verdict = await runStageHooks(ctx, sd, step.stage);
      if (verdict.kind === 'halted' || sd.status !== 'IN_PROGRESS') return;
      if (verdict.kind === 'rollback') {
        cancelPauses(ctx, sd);
        beginRollback(ctx, sd, s, 'LIFECYCLE_HOOK', verdict.reason);
        return scheduleStep(ctx, sd, ctx.phaseMs);
      }
      sd.stageHooks.lambdasDone = true;
      return stageHooksDone(ctx, sd, scheduleStep);
    }
  }
}

/** The last step passed: the target revision runs alone and takes all traffic. */
function succeed(ctx: EcsContext, sd: StoredServiceDeployment, s: StoredService): void {
  const now = epochSeconds();
  const target = deploymentIn(s, sd.target.deploymentId);
  sd.status = 'SUCCESSFUL';
  sd.statusReason = 'Service deployment completed successfully.';
  sd.lifecycleStage = 'CLEAN_UP';
  sd.finishedAt = sd.updatedAt = now;
  if (target) {
    target.status = 'PRIMARY';
    settleCompleted(s, target, now);
  }
  s.stableTaskDefinition = sd.target.taskDefinition;
  addEvent(s, `has stopped ${sd.desiredCount} running tasks of the source revision.`);
  addEvent(s, `deployment ${sd.target.deploymentId} deployment completed.`);
  addEvent(s, 'has reached a steady state.');
  ctx.store.changed();
  if (target) emit(ctx, s, target, 'SERVICE_DEPLOYMENT_COMPLETED', 'INFO', target.rolloutStateReason);
}
