import { AwsServiceError } from '../protocol';
import { validateLifecycleHooks, type HookStage } from './hook-validation';

/**
 * The data model of ECS *service deployments* for the blue/green family (BLUE_GREEN, LINEAR, CANARY), as the
 * ECS API reference and developer guide describe them (ServiceDeployment, "View service history using
 * Amazon ECS service deployments", "Lifecycle hooks for Amazon ECS service deployments"):
 *
 * - a service deployment moves the *target* service revision through lifecycle stages
 *   PRE_SCALE_UP → SCALE_UP → POST_SCALE_UP → TEST_TRAFFIC_SHIFT → POST_TEST_TRAFFIC_SHIFT →
 *   PRODUCTION_TRAFFIC_SHIFT → POST_PRODUCTION_TRAFFIC_SHIFT → BAKE_TIME → CLEAN_UP;
 * - its status is PENDING, IN_PROGRESS, then SUCCESSFUL — or, once stopped, ROLLBACK_REQUESTED →
 *   ROLLBACK_IN_PROGRESS → ROLLBACK_SUCCESSFUL | ROLLBACK_FAILED (STOP_REQUESTED → STOPPED for ABORT);
 * - "You can stop a deployment that is in any of the following states: PENDING, IN_PROGRESS,
 *   STOP_REQUESTED, ROLLBACK_REQUESTED, ROLLBACK_IN_PROGRESS" (Stopping Amazon ECS service deployments);
 *   anything else is refused;
 * - LINEAR and CANARY move production traffic in steps with a wait after each, then bake.
 */

/** Lifecycle stages in the order ECS runs them (RECONCILE_SERVICE only runs with several ACTIVE revisions). */
export const LIFECYCLE_STAGES = [
  'RECONCILE_SERVICE',
  'PRE_SCALE_UP',
  'SCALE_UP',
  'POST_SCALE_UP',
  'TEST_TRAFFIC_SHIFT',
  'POST_TEST_TRAFFIC_SHIFT',
  'PRODUCTION_TRAFFIC_SHIFT',
  'POST_PRODUCTION_TRAFFIC_SHIFT',
  'BAKE_TIME',
  'CLEAN_UP',
] as const;

/** One lifecycle stage. */
export type LifecycleStage = (typeof LIFECYCLE_STAGES)[number];

export { HOOK_STAGES, MAX_PAUSE_TIMEOUT_MINUTES, NO_PAUSE_STAGES, type HookStage } from './hook-validation';

/** ServiceDeployment.status values. */
export type ServiceDeploymentStatus =
  | 'PENDING'
  | 'SUCCESSFUL'
  | 'STOPPED'
  | 'STOP_REQUESTED'
  | 'IN_PROGRESS'
  | 'ROLLBACK_REQUESTED'
  | 'ROLLBACK_IN_PROGRESS'
  | 'ROLLBACK_SUCCESSFUL'
  | 'ROLLBACK_FAILED';

/** Statuses from which StopServiceDeployment is accepted. */
export const STOPPABLE: ReadonlySet<ServiceDeploymentStatus> = new Set([
  'PENDING',
  'IN_PROGRESS',
  'STOP_REQUESTED',
  'ROLLBACK_REQUESTED',
  'ROLLBACK_IN_PROGRESS',
]);

/** Final statuses. */
export const FINAL: ReadonlySet<ServiceDeploymentStatus> = new Set([
  'SUCCESSFUL',
  'STOPPED',
  'ROLLBACK_SUCCESSFUL',
  'ROLLBACK_FAILED',
]);

/** The strategies ECS runs as service deployments with traffic shifting. */
export const TRAFFIC_SHIFTING_STRATEGIES = ['BLUE_GREEN', 'LINEAR', 'CANARY'] as const;

/** A lifecycle hook as `deploymentConfiguration.lifecycleHooks[]` carries it. */
export interface StoredHook {
  /** AWS_LAMBDA (the default) or PAUSE. */
  targetType?: 'AWS_LAMBDA' | 'PAUSE';
  /** Lambda hooks only ("not applicable for PAUSE hooks"). */
  hookTargetArn?: string;
  roleArn?: string;
  lifecycleStages: HookStage[];
  hookDetails?: unknown;
  /** Defaults: 1440 minutes, ROLLBACK. */
  timeoutConfiguration?: { timeoutInMinutes?: number; action?: 'ROLLBACK' | 'CONTINUE' };
}

/**
 * DeploymentLifecycleHookDetail of a hook that ran or runs (what DescribeServiceDeployments lists): AWS_LAMBDA
 * hooks IN_PROGRESS, then SUCCEEDED, FAILED or TIMED_OUT; PAUSE hooks AWAITING_ACTION, then SUCCEEDED
 * (continued), FAILED (rolled back) or TIMED_OUT.
 */
export interface StoredHookDetail {
  hookId: string;
  targetType: 'PAUSE' | 'AWS_LAMBDA';
  /** AWS_LAMBDA only: the function ARN ("For PAUSE hooks, this field is not set"). */
  targetArn?: string;
  status: 'IN_PROGRESS' | 'AWAITING_ACTION' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT';
  /** PAUSE only: epoch seconds (scaled: each configured minute lasts SHIPGATE_SANDBOX_PHASE_MS). */
  expiresAt?: number;
  timeoutAction?: 'ROLLBACK' | 'CONTINUE';
  /** PAUSE only: epoch ms of the deadline (the sandbox's own, finer than `expiresAt`; not part of the API). */
  deadlineMs?: number;
  stage: HookStage;
  /** Index of the hook in `hooks`. */
  hookIndex: number;
}

/** One step of the plan a service deployment walks through. */
export type DeploymentStep =
  | { stage: LifecycleStage; kind: 'enter' }
  | { stage: 'SCALE_UP'; kind: 'scale-up' }
  | { stage: 'TEST_TRAFFIC_SHIFT'; kind: 'test-traffic'; percent: number }
  | { stage: 'PRODUCTION_TRAFFIC_SHIFT'; kind: 'production-traffic'; percent: number }
  | { stage: LifecycleStage; kind: 'wait'; minutes: number; what: string }
  | { stage: HookStage; kind: 'hooks' };

/** Who or what asked for a rollback. */
export type RollbackCause = 'USER' | 'CIRCUIT_BREAKER' | 'LIFECYCLE_HOOK' | 'ALARM';

/** An emulated service revision (what a service deployment moves from and to). */
export interface StoredRevision {
  arn: string;
  taskDefinition: string;
  /** The ECS deployment (`ecs-svc/…`) of the `deployments` array that runs this revision. */
  deploymentId: string;
}

/** A persisted service deployment. */
export interface StoredServiceDeployment {
  arn: string;
  serviceArn: string;
  clusterArn: string;
  strategy: (typeof TRAFFIC_SHIFTING_STRATEGIES)[number];
  status: ServiceDeploymentStatus;
  statusReason: string;
  lifecycleStage: LifecycleStage;
  createdAt: number;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
  stoppedAt?: number;
  source: StoredRevision;
  target: StoredRevision;
  /** Share of production / test traffic on the target revision, in percent. */
  productionWeight: number;
  testWeight: number;
  desiredCount: number;
  targetRunning: number;
  failedTasks: number;
  deploymentConfiguration: Record<string, unknown>;
  hooks: StoredHook[];
  /** Every hook invocation, oldest first (stage, target, what it answered). */
  hookRuns: { stage: HookStage; hookTargetArn: string; at: number; status: string }[];
  /** Hooks that ran or run (lifecycleHookDetails), oldest first. */
  hookDetails?: StoredHookDetail[];
  /**
   * The stage whose hooks run now. ECS: "All hooks configured at the same lifecycle stage run in parallel";
   * the stage ends once its Lambda hooks answered (`lambdasDone`) and none of its PAUSE hooks still waits.
   */
  stageHooks?: { stage: HookStage; lambdasDone: boolean };
  plan: DeploymentStep[];
  /** Index of the next step of `plan`. */
  next: number;
  rollback?: { reason: string; startedAt: number; serviceRevisionArn: string; cause: RollbackCause };
  /** Stage at which the target's tasks fail (from the image annotation), if any. */
  failAt?: LifecycleStage;
}

/** A number in [min, max], or the default. */
function num(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * Refuses a `deploymentConfiguration` ECS refuses (API reference, DeploymentConfiguration /
 * CanaryConfiguration / LinearConfiguration): bake times 0–1440 minutes, `canaryPercent` 0.1–100 and
 * `stepPercent` 3–100, both in steps of 0.1, lifecycle hooks with a target, a role and known stages.
 * @throws AwsServiceError InvalidParameterException naming the field.
 */
export function validateDeploymentConfiguration(cfg: Record<string, unknown>): void {
  const invalid = (message: string) => new AwsServiceError('InvalidParameterException', message);
  const minutes = (value: unknown, name: string) => {
    if (value === undefined) return;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 1440) {
      throw invalid(`${name} must be a whole number of minutes from 0 to 1440; received ${String(value)}.`);
    }
  };
  minutes(cfg.bakeTimeInMinutes, 'bakeTimeInMinutes');
  const canary = cfg.canaryConfiguration as Record<string, unknown> | undefined;
  if (canary) {
    const p = canary.canaryPercent;
    if (typeof p !== 'number' || p < 0.1 || p > 100 || Math.abs(Math.round(p * 10) - p * 10) > 1e-9) {
      throw invalid(
        `canaryConfiguration.canaryPercent must be from 0.1 to 100 in increments of 0.1; received ${String(p)}.`,
      );
    }
    minutes(canary.canaryBakeTimeInMinutes, 'canaryConfiguration.canaryBakeTimeInMinutes');
  }
  const linear = cfg.linearConfiguration as Record<string, unknown> | undefined;
  if (linear) {
    const p = linear.stepPercent;
    // "Valid values are multiples of 0.1 from 3.0 to 100.0" (LinearConfiguration.stepPercent).
    if (typeof p !== 'number' || p < 3 || p > 100 || Math.abs(Math.round(p * 10) - p * 10) > 1e-9) {
      throw invalid(
        `linearConfiguration.stepPercent must be from 3 to 100 in increments of 0.1; received ${String(p)}.`,
      );
    }
    minutes(linear.stepBakeTimeInMinutes, 'linearConfiguration.stepBakeTimeInMinutes');
  }
  validateLifecycleHooks(cfg.lifecycleHooks);
}

/**
 * The steps of a service deployment for a strategy: stages, traffic moves, waits (in configured minutes)
 * and hook points. BLUE_GREEN shifts 100 % at once; CANARY shifts `canaryPercent`, waits
 * `canaryBakeTimeInMinutes`, then shifts the rest; LINEAR shifts `stepPercent` at a time with
 * `stepBakeTimeInMinutes` after each step. Every strategy then bakes `bakeTimeInMinutes`.
 */
export function planDeployment(strategy: string, cfg: Record<string, unknown>): DeploymentStep[] {
  const hooks = (stage: HookStage): DeploymentStep => ({ stage, kind: 'hooks' });
  const steps: DeploymentStep[] = [
    { stage: 'PRE_SCALE_UP', kind: 'enter' },
    hooks('PRE_SCALE_UP'),
    { stage: 'SCALE_UP', kind: 'scale-up' },
    { stage: 'POST_SCALE_UP', kind: 'enter' },
    hooks('POST_SCALE_UP'),
    { stage: 'TEST_TRAFFIC_SHIFT', kind: 'test-traffic', percent: 100 },
    hooks('TEST_TRAFFIC_SHIFT'),
    { stage: 'POST_TEST_TRAFFIC_SHIFT', kind: 'enter' },
    hooks('POST_TEST_TRAFFIC_SHIFT'),
  ];
  // PRE_PRODUCTION_TRAFFIC_SHIFT hooks run before every production traffic step.
  const shift = (percent: number): DeploymentStep[] => [
    { stage: 'PRE_PRODUCTION_TRAFFIC_SHIFT', kind: 'hooks' },
    { stage: 'PRODUCTION_TRAFFIC_SHIFT', kind: 'production-traffic', percent },
  ];
  if (strategy === 'CANARY') {
    const canary = (cfg.canaryConfiguration ?? {}) as Record<string, unknown>;
    const percent = num(canary.canaryPercent, 5);
    steps.push(...shift(percent), hooks('PRODUCTION_TRAFFIC_SHIFT'));
    steps.push({
      stage: 'PRODUCTION_TRAFFIC_SHIFT',
      kind: 'wait',
      minutes: num(canary.canaryBakeTimeInMinutes, 10),
      what: `canary bake at ${percent} %`,
    });
  } else if (strategy === 'LINEAR') {
    const linear = (cfg.linearConfiguration ?? {}) as Record<string, unknown>;
    const step = num(linear.stepPercent, 10);
    const wait = num(linear.stepBakeTimeInMinutes, 6);
    for (let p = step; p < 100 - 1e-9; p = Math.round((p + step) * 10) / 10) {
      steps.push(...shift(p), hooks('PRODUCTION_TRAFFIC_SHIFT'));
      steps.push({ stage: 'PRODUCTION_TRAFFIC_SHIFT', kind: 'wait', minutes: wait, what: `step at ${p} %` });
    }
  }
  steps.push(...shift(100), hooks('PRODUCTION_TRAFFIC_SHIFT'));
  steps.push(
    { stage: 'POST_PRODUCTION_TRAFFIC_SHIFT', kind: 'enter' },
    hooks('POST_PRODUCTION_TRAFFIC_SHIFT'),
  );
  steps.push({
    stage: 'BAKE_TIME',
    kind: 'wait',
    minutes: num(cfg.bakeTimeInMinutes, 0),
    what: 'bake time',
  });
  steps.push({ stage: 'CLEAN_UP', kind: 'enter' });
  return steps;
}

/** The ARN-only summary ListServiceDeployments returns. */
export function briefJson(d: StoredServiceDeployment) {
  return {
    serviceDeploymentArn: d.arn,
    serviceArn: d.serviceArn,
    clusterArn: d.clusterArn,
    createdAt: d.createdAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    targetServiceRevisionArn: d.target.arn,
    status: d.status,
    statusReason: d.statusReason,
  };
}

/** The full ServiceDeployment DescribeServiceDeployments returns. */
export function serviceDeploymentJson(d: StoredServiceDeployment) {
  const alarms = (d.deploymentConfiguration.alarms ?? {}) as {
    alarmNames?: string[];
    enable?: boolean;
  };
  const breaker = (d.deploymentConfiguration.deploymentCircuitBreaker ?? {}) as { enable?: boolean };
  const rollingBack = d.status.startsWith('ROLLBACK');
  return {
    ...briefJson(d),
    updatedAt: d.updatedAt,
    stoppedAt: d.stoppedAt,
    sourceServiceRevisions: [
      {
        arn: d.source.arn,
        requestedTaskCount: d.desiredCount,
        runningTaskCount: d.desiredCount,
        pendingTaskCount: 0,
        requestedTestTrafficWeight: 100 - d.testWeight,
        requestedProductionTrafficWeight: 100 - d.productionWeight,
      },
    ],
    targetServiceRevision: {
      arn: d.target.arn,
      requestedTaskCount: rollingBack ? 0 : d.desiredCount,
      runningTaskCount: d.targetRunning,
      pendingTaskCount: 0,
      requestedTestTrafficWeight: d.testWeight,
      requestedProductionTrafficWeight: d.productionWeight,
    },
    lifecycleStage: d.lifecycleStage,
    ...(d.hookDetails?.length
      ? {
          lifecycleHookDetails: d.hookDetails.map((h) => ({
            hookId: h.hookId,
            targetType: h.targetType,
            ...(h.targetArn ? { targetArn: h.targetArn } : {}),
            status: h.status,
            ...(h.expiresAt !== undefined ? { expiresAt: h.expiresAt } : {}),
            ...(h.timeoutAction ? { timeoutAction: h.timeoutAction } : {}),
          })),
        }
      : {}),
    deploymentConfiguration: d.deploymentConfiguration,
    deploymentCircuitBreaker: {
      status: breaker.enable ? (d.failedTasks > 0 ? 'TRIGGERED' : 'MONITORING') : 'DISABLED',
      failureCount: d.failedTasks,
      threshold: Math.max(3, Math.min(200, Math.ceil(d.desiredCount / 2))),
    },
    alarms: {
      status: alarms.enable ? (d.rollback?.cause === 'ALARM' ? 'TRIGGERED' : 'MONITORING') : 'DISABLED',
      alarmNames: alarms.alarmNames ?? [],
      triggeredAlarmNames: d.rollback?.cause === 'ALARM' ? (alarms.alarmNames ?? []) : [],
    },
    rollback: d.rollback
      ? {
          reason: d.rollback.reason,
          startedAt: d.rollback.startedAt,
          serviceRevisionArn: d.rollback.serviceRevisionArn,
        }
      : undefined,
  };
}
