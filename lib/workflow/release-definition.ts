import { Duration } from 'aws-cdk-lib';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { ApprovalTaskError } from '../../lambdas/domain/approvals/task';
import type { EnvironmentConfig, ShipgateConfig } from '../../lambdas/shared/config';
import { longestPauseAllowance, rolloutSettings } from '../../lambdas/shared/config';
import { STEPS, type SharedStepName } from './steps';

/** Inputs of {@link buildReleaseDefinition}. */
export interface ReleaseDefinitionProps {
  /** The validated Shipgate configuration; its environments become the workflow's stages. */
  readonly config: ShipgateConfig;
  /** The Lambda version behind each step: Task states name versions, never the unqualified function. */
  readonly functions: Readonly<Record<SharedStepName, IVersion>>;
  /** Collects the steps the definition invokes (for grants that outlive this deploy). @default not collected */
  readonly invoked?: Set<SharedStepName>;
}

/** Extra seconds a state waits beyond its Lambda's own timeout (cold start, retries of the invoke). */
const INVOKE_SLACK_SECONDS = 30;

/**
 * How "Start rollout <env>" waits for a rollout lock another release holds (error `RolloutLocked`): Step
 * Functions retries the state after 30 s, 45 s, 67.5 s … (backoff 1.5), each pause capped at 5 min, with
 * FULL jitter (each pause drawn uniformly from [0, nominal], so releases queued behind the same lock spread
 * out). {@link lockRetryAttempts} picks the attempts so the nominal pauses add up to at least
 * `rollout.timeout + rollout.eventGrace`, the longest a settling rollout holds a lock (RolloutStuck releases
 * it by then). The wait is therefore bounded by that sum (at most 5 min more), about half of it on average;
 * a release that still finds the lock held fails `RolloutLocked` as before and can be re-run.
 */
export const LOCK_RETRY = {
  intervalSeconds: 30,
  backoffRate: 1.5,
  maxDelaySeconds: 300,
  /** Never fewer attempts than this, however short the rollout timeout. */
  minAttempts: 8,
} as const;

/** Nominal (un-jittered) pause before retry number `attempt` (0-based) of {@link LOCK_RETRY}. */
export function lockRetryPauseSeconds(attempt: number): number {
  return Math.min(
    LOCK_RETRY.maxDelaySeconds,
    LOCK_RETRY.intervalSeconds * Math.pow(LOCK_RETRY.backoffRate, attempt),
  );
}

/**
 * Retry attempts of "Start rollout <env>" on `RolloutLocked` for a configuration, and the longest the
 * retries can wait in total (the sum of the nominal pauses; FULL jitter only shortens them).
 * @example lockRetryAttempts(config) // defaults (timeout 30m, eventGrace 5m): { maxAttempts: 11, maxWaitSeconds: 2123 }
 */
export function lockRetryAttempts(config: ShipgateConfig): { maxAttempts: number; maxWaitSeconds: number } {
  // A release may queue behind one that waits at its pauses, so the retries cover that wait too.
  const cover = config.rollout.timeout + config.rollout.eventGrace + longestPauseAllowance(config);
  let maxAttempts = 0;
  let maxWaitSeconds = 0;
  while (maxAttempts < LOCK_RETRY.minAttempts || maxWaitSeconds < cover) {
    maxWaitSeconds += lockRetryPauseSeconds(maxAttempts);
    maxAttempts += 1;
  }
  return { maxAttempts, maxWaitSeconds: Math.floor(maxWaitSeconds) };
}

/** Every state name of the workflow for one environment, as the console shows them. */
export function environmentStateNames(env: string) {
  return {
    approve: `Approve ${env}`,
    approvalExpired: `Approval of ${env} expired`,
    checkFreeze: `Check freeze ${env}`,
    frozen: `Is ${env} frozen?`,
    waitFreeze: `Wait for ${env} freeze to end`,
    freezeWithoutEnd: `Freeze of ${env} has no end`,
    deploy: `Deploy ${env}`,
    startRollout: `Start rollout ${env}`,
    checkRollout: `Check rollout ${env}`,
    settled: `Rollout ${env} settled?`,
    rolloutDone: `Rollout ${env} done`,
    awaitRollout: `Await rollout ${env}`,
    pausedChoice: `Rollout ${env} paused?`,
    paused: `Paused in ${env}: wait for decision`,
    rolloutFinished: `Rollout ${env} finished`,
    verify: `Verify ${env}`,
    rollBack: `Roll back ${env}`,
    startRollback: `Start rollback ${env}`,
    checkRollback: `Check rollback ${env}`,
    rollbackSettled: `Rollback ${env} settled?`,
    rollbackDone: `Rollback ${env} done`,
    awaitRollback: `Await rollback ${env}`,
  } as const;
}

/** Error of an execution whose approval nobody decided within the policy timeout (as close.ts sends it). */
const APPROVAL_EXPIRED: ApprovalTaskError = 'ApprovalExpired';

/** `259200` → `3d`, `7200` → `2h`, `90` → `90s`: the largest unit that divides the seconds evenly (as the config writes it). */
export function humanDuration(seconds: number): string {
  for (const [unit, size] of [
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Names of the states outside the environment stages. */
export const STATE_NAMES = {
  resolve: 'Resolve release',
  scan: 'Scan',
  record: 'Record release',
  reportFailure: 'Report failure',
  failed: 'Release failed',
} as const;

/**
 * Builds the release workflow (JSONPath states) from the configuration:
 *
 * ```
 * Resolve release ▶ Scan ▶ for each environment:
 *   Approve <env> ▶ Check freeze <env> ▶ Is <env> frozen? ─yes─▶ Wait for <env> freeze to end ─▶ Check freeze <env>
 *                                                    └─no─▶ Deploy <env> (Map) ▶ Verify <env>
 * ▶ Record release
 * failures: Deploy/Verify <env> ▶ Roll back <env> ▶ Report failure ▶ Release failed (original Error/Cause)
 *           Approve <env> timed out ▶ Approval of <env> expired ▶ Report failure ▶ Release failed (ApprovalExpired)
 *           any other step   ▶ Report failure ▶ Release failed
 * ```
 *
 * The freeze check sits right before the rollout (not before the approval) so an approval that arrives
 * inside a freeze window still waits for the window to end. "Start rollout <env>" retries `RolloutLocked`
 * (bounded, see {@link LOCK_RETRY}), so a release queues behind another one rolling out the same service. Payloads and result paths follow
 * docs/architecture.md; every Task state carries `TimeoutSeconds`.
 */
export function buildReleaseDefinition(scope: Construct, props: ReleaseDefinitionProps): sfn.IChainable {
  const { config, functions } = props;
  const used = (name: string, step: SharedStepName) => {
    props.invoked?.add(step);
    return name;
  };

  const invoke = (
    name: string,
    step: SharedStepName,
    options: { payload?: Record<string, unknown>; resultPath: string; comment?: string },
  ) =>
    new tasks.LambdaInvoke(scope, used(name, step), {
      lambdaFunction: functions[step],
      payloadResponseOnly: true,
      payload: options.payload ? sfn.TaskInput.fromObject(options.payload) : undefined,
      resultPath: options.resultPath,
      taskTimeout: sfn.Timeout.duration(
        Duration.seconds(STEPS[step].timeoutSeconds(config) + INVOKE_SLACK_SECONDS),
      ),
      comment: options.comment ?? STEPS[step].description,
    });

  const waitForToken = (
    name: string,
    step: SharedStepName,
    options: {
      payload: Record<string, unknown>;
      resultPath?: string;
      timeoutSeconds: number;
      comment: string;
    },
  ) =>
    new tasks.LambdaInvoke(scope, used(name, step), {
      lambdaFunction: functions[step],
      integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
      payload: sfn.TaskInput.fromObject({
        taskToken: sfn.JsonPath.taskToken,
        executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
        ...options.payload,
      }),
      resultPath: options.resultPath,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(options.timeoutSeconds)),
      comment: options.comment,
    });

  const release = sfn.JsonPath.objectAt('$.release');
  const failed = new sfn.Fail(scope, STATE_NAMES.failed, {
    comment: 'Fails the execution with the error and cause of the step that failed',
    errorPath: '$.error.Error',
    causePath: '$.error.Cause',
  });
  const reportFailure = invoke(STATE_NAMES.reportFailure, 'report-failure', { resultPath: '$.report' });
  // Reporting is best effort: if it fails too, the execution still fails with the original error.
  reportFailure.addCatch(failed, { resultPath: '$.reportError' });
  reportFailure.next(failed);
  const onFailure = { resultPath: '$.error' };

  const resolve = invoke(STATE_NAMES.resolve, 'resolve-release', { resultPath: '$.resolved' });
  resolve.addCatch(reportFailure, onFailure);

  const scan = invoke(STATE_NAMES.scan, 'scan', {
    payload: {
      release,
      resolved: sfn.JsonPath.objectAt('$.resolved'),
      // Lets the scan link its GitLab commit status to the execution.
      executionArn: sfn.JsonPath.stringAt('$$.Execution.Id'),
    },
    resultPath: '$.scan',
  });
  scan.addCatch(reportFailure, onFailure);
  resolve.next(scan);

  let tail: sfn.INextable = scan;
  for (const env of config.environments) {
    const stage = buildEnvironmentStage(scope, env);
    tail.next(stage.start);
    tail = stage.end;
  }

  const record = invoke(STATE_NAMES.record, 'record-release', { resultPath: '$.record' });
  record.addCatch(reportFailure, onFailure);
  tail.next(record);
  return resolve;

  function buildEnvironmentStage(
    stageScope: Construct,
    env: EnvironmentConfig,
  ): { start: sfn.IChainable; end: sfn.INextable } {
    const names = environmentStateNames(env.name);
    const environment = env.name;

    const approve = waitForToken(names.approve, 'request-approval', {
      payload: {
        environment,
        release,
        resolved: sfn.JsonPath.objectAt('$.resolved'),
        scan: sfn.JsonPath.objectAt('$.scan'),
      },
      resultPath: `$.approvals.${environment}`,
      timeoutSeconds: env.approval.timeout,
      comment: `Waits for ${env.approval.quorum} approval(s) of ${environment}; fails closed after the policy timeout`,
    });
    // A timeout is the policy working, not a fault: name it, so the console, the execution's error and the
    // release record all say which approval expired instead of a bare States.Timeout.
    const approvalExpired = new sfn.Pass(stageScope, names.approvalExpired, {
      comment: `Nobody decided within the ${environment} approval timeout: the gate fails closed`,
      result: sfn.Result.fromObject({
        Error: APPROVAL_EXPIRED,
        Cause: `No decision on ${environment} within ${humanDuration(env.approval.timeout)} (${env.approval.quorum} approval${env.approval.quorum === 1 ? '' : 's'} needed): the request expired and the gate failed closed. Run a new pipeline for the commit to ask again.`,
      }),
      resultPath: '$.error',
    });
    approvalExpired.next(reportFailure);
    approve.addCatch(approvalExpired, { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD });
    approve.addCatch(reportFailure, onFailure);

    const checkFreeze = invoke(names.checkFreeze, 'check-freeze', {
      payload: { environment, release },
      resultPath: '$.freeze',
    });
    checkFreeze.addCatch(reportFailure, onFailure);

    const waitFreeze = new sfn.Wait(stageScope, names.waitFreeze, {
      time: sfn.WaitTime.timestampPath('$.freeze.until'),
      comment: `Waits until the ${environment} deploy freeze ends, then checks again`,
    });
    waitFreeze.next(checkFreeze);
    const freezeWithoutEnd = new sfn.Pass(stageScope, names.freezeWithoutEnd, {
      comment: 'check-freeze said frozen without an end time: fail instead of deploying into a freeze',
      result: sfn.Result.fromObject({
        Error: 'DeployFrozen',
        Cause: `${environment} is frozen and check-freeze returned no end time, so Shipgate cannot wait for it.`,
      }),
      resultPath: '$.error',
    });
    freezeWithoutEnd.next(reportFailure);

    const deploy = buildDeploy(stageScope, env);
    const verify = invoke(names.verify, 'verify', {
      payload: {
        environment,
        release,
        images: sfn.JsonPath.objectAt('$.resolved.images'),
        // Who approved, for the shipgate/<env> success status (GitLab's deployment cannot carry it).
        approval: sfn.JsonPath.objectAt(`$.approvals.${environment}`),
      },
      resultPath: `$.verify.${environment}`,
    });

    const rollBack = buildRollback(stageScope, env);
    // Keep the original error in $.error when the rollback itself fails.
    rollBack.addCatch(reportFailure, { resultPath: '$.rollbackError' });
    rollBack.next(reportFailure);
    deploy.addCatch(rollBack, onFailure);
    verify.addCatch(rollBack, onFailure);

    approve.next(checkFreeze);
    checkFreeze.next(
      new sfn.Choice(stageScope, names.frozen)
        .when(sfn.Condition.booleanEquals('$.freeze.frozen', false), deploy)
        .when(
          sfn.Condition.and(
            sfn.Condition.booleanEquals('$.freeze.frozen', true),
            sfn.Condition.isPresent('$.freeze.until'),
          ),
          waitFreeze,
        )
        .otherwise(freezeWithoutEnd),
    );
    deploy.next(verify);
    return { start: approve, end: verify };
  }

  /**
   * "Roll back <env>": for every image of the release, "Start rollback <env>" starts the rollback of that
   * service and waits for its task token (resumed by the deployment event that ends the rollback); without an
   * event within `rollout.eventGrace`, "Check rollback <env>" looks once, and "Await rollback <env>" waits
   * again. No Lambda waits for ECS, so a rollback may take as long as ECS needs (bake and step times), up to
   * `rollout.timeout` (then `RollbackFailed`).
   */
  function buildRollback(stageScope: Construct, env: EnvironmentConfig): sfn.Map {
    const names = environmentStateNames(env.name);
    const environment = env.name;
    const item = {
      environment,
      release: sfn.JsonPath.objectAt('$.release'),
      image: sfn.JsonPath.objectAt('$.image'),
      error: sfn.JsonPath.objectAt('$.error'),
    };
    const graceSeconds = config.rollout.eventGrace;
    const start = waitForToken(names.startRollback, 'rollback', {
      payload: item,
      timeoutSeconds: graceSeconds,
      comment: 'Starts rolling the service back and waits for the deployment event that ends the rollback',
    });
    const check = invoke(names.checkRollback, 'check-rollback', {
      payload: {
        environment,
        release: sfn.JsonPath.objectAt('$.release'),
        image: sfn.JsonPath.objectAt('$.image'),
      },
      resultPath: '$.check',
      comment: 'No event within the grace period: asks ECS/CodeDeploy once about the rollback',
    });
    const awaitRollback = waitForToken(names.awaitRollback, 'rollback', {
      payload: item,
      timeoutSeconds: graceSeconds,
      comment: 'Rollback still in progress: waits for the next deployment event',
    });
    const done = new sfn.Pass(stageScope, names.rollbackDone, {
      comment: 'The check found the rollback settled',
      outputPath: '$.check.result',
    });
    const lostEvent = { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD };
    start.addCatch(check, lostEvent);
    awaitRollback.addCatch(check, lostEvent);
    check.next(
      new sfn.Choice(stageScope, names.rollbackSettled)
        .when(sfn.Condition.booleanEquals('$.check.settled', true), done)
        .otherwise(awaitRollback),
    );
    const map = new sfn.Map(stageScope, names.rollBack, {
      comment: `Rolls every service of the release in ${environment} back to the revision it ran before`,
      itemsPath: '$.resolved.images',
      itemSelector: {
        release: sfn.JsonPath.objectAt('$.release'),
        error: sfn.JsonPath.objectAt('$.error'),
        image: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
      },
      maxConcurrency: config.rollout.maxConcurrency,
      resultPath: '$.rollback',
    });
    map.itemProcessor(start);
    return map;
  }

  function buildDeploy(stageScope: Construct, env: EnvironmentConfig): sfn.Map {
    const names = environmentStateNames(env.name);
    const environment = env.name;
    const item = {
      environment,
      release: sfn.JsonPath.objectAt('$.release'),
      image: sfn.JsonPath.objectAt('$.image'),
    };
    const graceSeconds = config.rollout.eventGrace;

    // Longest single pause any service of this environment is configured with (0: no pause states at all).
    const pauseSeconds = Math.max(
      0,
      ...Object.keys(config.services).map((service) =>
        Math.max(
          0,
          ...(rolloutSettings(config, service, environment).pauses ?? []).map(
            (p) => Math.ceil(p.timeout / 60) * 60,
          ),
        ),
      ),
    );
    const rolloutResult = pauseSeconds > 0 ? { resultPath: '$.rollout' } : {};
    const start = waitForToken(names.startRollout, 'start-rollout', {
      // Who approved, for the shipgate/<env> running status (the Map's item selector passes it in).
      payload: { ...item, approval: sfn.JsonPath.objectAt('$.approval') },
      ...rolloutResult,
      timeoutSeconds: graceSeconds,
      comment: 'Starts the rollout and waits for its deployment event',
    });
    const check = invoke(names.checkRollout, 'check-rollout', {
      payload: item,
      resultPath: '$.check',
      comment: 'No event within the grace period: asks ECS/CodeDeploy once',
    });
    const awaitRollout = waitForToken(names.awaitRollout, 'await-rollout', {
      payload: item,
      ...rolloutResult,
      timeoutSeconds: graceSeconds,
      comment: 'Still in progress: waits for the next deployment event',
    });
    const done = new sfn.Pass(stageScope, names.rolloutDone, {
      comment: 'The check found the rollout settled',
      outputPath: '$.check.outcome',
    });
    // A release that meets another release's lock on this (service, environment) queues behind it: bounded,
    // jittered retries (see LOCK_RETRY). The holder releases the lock when its rollout settles.
    start.addRetry({
      errors: ['RolloutLocked'],
      interval: Duration.seconds(LOCK_RETRY.intervalSeconds),
      backoffRate: LOCK_RETRY.backoffRate,
      maxDelay: Duration.seconds(LOCK_RETRY.maxDelaySeconds),
      jitterStrategy: sfn.JitterType.FULL,
      maxAttempts: lockRetryAttempts(config).maxAttempts,
    });
    const lostEvent = { errors: [sfn.Errors.TIMEOUT], resultPath: sfn.JsonPath.DISCARD };
    start.addCatch(check, lostEvent);
    awaitRollout.addCatch(check, lostEvent);
    check.next(
      new sfn.Choice(stageScope, names.settled)
        .when(sfn.Condition.booleanEquals('$.check.settled', true), done)
        .otherwise(awaitRollout),
    );

    if (pauseSeconds > 0) {
      // ECS PAUSE hooks: a rollout task resumes with { status: 'PAUSED' } when ECS stops at one; the pause
      // state waits (ECS's timeout + the event grace) for people's decision or for what ECS does next.
      const paused = waitForToken(names.paused, 'request-pause', {
        payload: { ...item, rollout: sfn.JsonPath.objectAt('$.rollout') },
        resultPath: '$.rollout',
        timeoutSeconds: pauseSeconds + graceSeconds,
        comment: `ECS paused the rollout at a PAUSE hook: waits for the decision people make in chat (or for ECS's timeout action)`,
      });
      paused.addCatch(check, lostEvent);
      const finished = new sfn.Pass(stageScope, names.rolloutFinished, {
        comment: 'The rollout settled',
        outputPath: '$.rollout',
      });
      const choice = new sfn.Choice(stageScope, names.pausedChoice)
        .when(sfn.Condition.stringEquals('$.rollout.status', 'PAUSED'), paused)
        .when(
          sfn.Condition.or(
            sfn.Condition.stringEquals('$.rollout.status', 'DECIDED'),
            sfn.Condition.stringEquals('$.rollout.status', 'PASSED'),
          ),
          awaitRollout,
        )
        .otherwise(finished);
      start.next(choice);
      awaitRollout.next(choice);
      paused.next(choice);
    }

    const map = new sfn.Map(stageScope, names.deploy, {
      comment: `Rolls out every image of the release to ${environment}, pinned by digest`,
      itemsPath: '$.resolved.images',
      itemSelector: {
        release: sfn.JsonPath.objectAt('$.release'),
        image: sfn.JsonPath.objectAt('$$.Map.Item.Value'),
        approval: sfn.JsonPath.objectAt(`$.approvals.${environment}`),
      },
      maxConcurrency: config.rollout.maxConcurrency,
      resultPath: `$.deployments.${environment}`,
    });
    map.itemProcessor(start);
    return map;
  }
}
