import * as z from '../../shared/zod';
import { logger } from '../../shared/logger';
import { forEnvironment, type RolloutDeps } from './deps';
import { originMismatch } from './event-origin';
import { describeService } from './deploy';
import { evaluateEcsService } from './evaluate';
import { passPauseOnEvent } from '../pauses/close';
import {
  awaitingPause,
  isNewPause,
  notePause,
  pausedOutput,
  pauseFromHook,
  pauseStageOf,
  resumeWith,
} from './pauses';
import { getRecord, getRecordByGroup } from './records';
import { describeServiceDeployment } from './service-deployments';
import { settleRollbackFromEvent } from './rollback-wait';
import { finish, observe, settlementFor } from './settle';
import { recordAfterRelease } from '../reconcile/after-release';
import type { EventHandling, Observation, RolloutRecord } from './types';

export type { EventHandling } from './types';

/**
 * `rollout-events`: EventBridge delivers ECS "ECS Deployment State Change" and CodeDeploy "CodeDeploy
 * Deployment State-change Notification" events here. A final event for the deployment a release waits on
 * is checked with one describe (the event alone does not say whether ECS rolled back) and resumes the
 * waiting task; everything else is ignored with a reason.
 */

const origin = { account: z.optional(z.string()), region: z.optional(z.string()) };

const ecsEventSchema = z.object({
  ...origin,
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Deployment State Change'),
  resources: z.array(z.string()).check(z.minLength(1)),
  detail: z.object({
    eventType: z.optional(z.string()),
    eventName: z.string(),
    deploymentId: z.string(),
    updatedAt: z.optional(z.string()),
    reason: z.optional(z.string()),
  }),
});

/**
 * "ECS Hook State Change" (developer guide, "Pause hooks for Amazon ECS service deployments": ECS "emits an
 * EventBridge event with the detail-type ECS Hook State Change and the event name HOOK_AWAITING_ACTION"; the
 * "Amazon ECS service deployment hook state change events" page documents its `detail`). The stage is read
 * from `detail.lifecycleStage`: DescribeServiceDeployments' `lifecycleStage` has no
 * PRE_PRODUCTION_TRAFFIC_SHIFT (ServiceDeploymentLifecycleStage), so it cannot say where such a pause is.
 */
const hookEventSchema = z.object({
  ...origin,
  source: z.literal('aws.ecs'),
  'detail-type': z.literal('ECS Hook State Change'),
  resources: z._default(z.array(z.string()), []),
  detail: z.looseObject({
    eventName: z.optional(z.string()),
    hookId: z.optional(z.string()),
    lifecycleStage: z.optional(z.string()),
  }),
});

const codeDeployEventSchema = z.object({
  ...origin,
  source: z.literal('aws.codedeploy'),
  'detail-type': z.literal('CodeDeploy Deployment State-change Notification'),
  detail: z.object({
    application: z.string(),
    deploymentGroup: z.string(),
    deploymentId: z.string(),
    state: z.string(),
  }),
});

/** Cluster and service names from an ECS service ARN (`…:service/<cluster>/<service>`). */
export function parseServiceArn(arn: string): { clusterName: string; serviceName: string } | undefined {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:service\/([^/]+)\/([^/]+)$/.exec(arn);
  return match ? { clusterName: match[1], serviceName: match[2] } : undefined;
}

/** Cluster and service from a service ARN or a service deployment ARN (`…:service-deployment/<cluster>/<service>/<id>`). */
export function parseServiceOrDeploymentArn(
  arn: string,
): { clusterName: string; serviceName: string } | undefined {
  const match = /^arn:[^:]+:ecs:[^:]*:[^:]*:service-deployment\/([^/]+)\/([^/]+)\/[^/]+$/.exec(arn);
  return match ? { clusterName: match[1], serviceName: match[2] } : parseServiceArn(arn);
}

const ECS_FINAL = new Set(['SERVICE_DEPLOYMENT_COMPLETED', 'SERVICE_DEPLOYMENT_FAILED']);
const CODEDEPLOY_FINAL = new Set(['SUCCESS', 'FAILURE', 'STOP', 'STOPPED']);

/**
 * Handles one EventBridge event.
 * @example await handleDeploymentEvent(event, rolloutDeps());
 */
export async function handleDeploymentEvent(event: unknown, deps: RolloutDeps): Promise<EventHandling> {
  const ecs = ecsEventSchema.safeParse(event);
  if (ecs.success) return handleEcsEvent(ecs.data, deps);
  const hook = hookEventSchema.safeParse(event);
  if (hook.success) return handleHookEvent(hook.data, deps);
  const cd = codeDeployEventSchema.safeParse(event);
  if (cd.success) return handleCodeDeployEvent(cd.data, deps);
  const e = event as { source?: unknown; 'detail-type'?: unknown } | null;
  return ignored(
    `not an ECS or CodeDeploy deployment state event (source ${String(e?.source)}, detail-type ${String(e?.['detail-type'])})`,
  );
}

function ignored(reason: string): EventHandling {
  logger.info('deployment event ignored', { reason });
  return { action: 'ignored', reason };
}

function waiting(record: RolloutRecord | undefined, what: string): string | undefined {
  if (!record) return `no rollout record for ${what}`;
  if (record.rollback?.status === 'IN_PROGRESS') return undefined;
  if (record.status !== 'IN_PROGRESS') return `the rollout of ${what} already ended (${record.status})`;
  return undefined;
}

/** Why the event is not about `record` because it comes from another account or region (`undefined` when it is). */
function elsewhere(
  event: { account?: string; region?: string },
  record: RolloutRecord | undefined,
  what: string,
  deps: Pick<RolloutDeps, 'config'>,
): string | undefined {
  const mismatch = record && originMismatch(event, record.environment, deps.config);
  return mismatch && `${what}: ${mismatch}`;
}

async function handleEcsEvent(
  event: z.infer<typeof ecsEventSchema>,
  deps: RolloutDeps,
): Promise<EventHandling> {
  const { eventName, deploymentId, reason } = event.detail;
  if (!ECS_FINAL.has(eventName)) return ignored(`${eventName} is not a final deployment state`);
  const names = event.resources.map(parseServiceArn).find(Boolean);
  if (!names) return ignored(`no ECS service ARN with a cluster in resources ${event.resources.join(', ')}`);
  const what = `${names.clusterName}/${names.serviceName}`;
  const record = await getRecord(names.clusterName, names.serviceName, deps);
  const notWaiting = waiting(record, what) ?? elsewhere(event, record, what, deps);
  if (notWaiting || !record) return ignored(notWaiting ?? what);
  deps = forEnvironment(deps, record.environment);

  if (record.rollback?.status === 'IN_PROGRESS')
    return afterRelease(await settleRollbackFromEvent(record, deps), record, deps);
  if (record.serviceDeploymentArn) {
    // Blue/green family: the service deployment is the truth; a FAILED event arrives when ECS *starts*
    // rolling back, and the rollback deployment's COMPLETED event when it is done (another deployment id).
    return settleFromEvent(record, await observe(record, deps), deps);
  }

  const svc = await describeService(
    {
      cluster: names.clusterName,
      ecsService: names.serviceName,
      service: record.service,
      environment: record.environment,
    },
    deps,
  );
  let matched: RolloutRecord = record;
  if (record.deploymentId) {
    if (record.deploymentId !== deploymentId) {
      return ignored(
        `event for deployment ${deploymentId}, the release waits on ${record.deploymentId} (${what})`,
      );
    }
  } else {
    // The event beat start-rollout's write of the deployment id: it is ours if that deployment runs our revision.
    const deployment = svc.deployments?.find((d) => d.id === deploymentId);
    if (!deployment || deployment.taskDefinition !== record.taskDefinitionArn) {
      return ignored(
        `event for deployment ${deploymentId}, which does not run the revision release ${record.releaseId} deploys (${what})`,
      );
    }
    matched = { ...record, deploymentId };
  }

  let observation = evaluateEcsService(svc, { deploymentId, taskDefinitionArn: record.taskDefinitionArn });
  if (eventName === 'SERVICE_DEPLOYMENT_FAILED' && observation.state !== 'FAILED') {
    // The describe may lag the event; the event is authoritative about failure.
    const primary = svc.deployments?.find((d) => d.status === 'PRIMARY');
    observation = {
      state: 'FAILED',
      reason: `ECS deployment ${deploymentId} FAILED: ${reason ?? 'no reason given'}`,
      rolledBackTo:
        primary?.taskDefinition && primary.taskDefinition !== record.taskDefinitionArn
          ? primary.taskDefinition
          : undefined,
    };
  } else if (eventName === 'SERVICE_DEPLOYMENT_COMPLETED' && observation.state === 'IN_PROGRESS') {
    observation = { state: 'COMPLETED', detail: `ECS reported ${deploymentId} COMPLETED` };
  }
  return settleFromEvent(matched, observation, deps);
}

async function handleHookEvent(
  event: z.infer<typeof hookEventSchema>,
  deps: RolloutDeps,
): Promise<EventHandling> {
  const eventName = event.detail.eventName ?? '(no eventName)';
  if (eventName !== 'HOOK_AWAITING_ACTION') {
    return ignored(
      `${eventName}: only HOOK_AWAITING_ACTION stops a rollout; outcomes come from deployment events`,
    );
  }
  const arns = [
    ...event.resources,
    ...Object.values(event.detail).filter((v): v is string => typeof v === 'string'),
  ];
  const names = arns.map(parseServiceOrDeploymentArn).find(Boolean);
  if (!names) return ignored(`no ECS service or service deployment ARN in ${arns.join(', ') || 'the event'}`);
  const what = `${names.clusterName}/${names.serviceName}`;
  const record = await getRecord(names.clusterName, names.serviceName, deps);
  if (!record || record.status !== 'IN_PROGRESS' || !record.serviceDeploymentArn) {
    return ignored(`no Shipgate rollout of ${what} in progress on a service deployment`);
  }
  const foreign = elsewhere(event, record, what, deps);
  if (foreign) return ignored(foreign);
  deps = forEnvironment(deps, record.environment);
  const sd = await describeServiceDeployment(record.serviceDeploymentArn, deps);
  const { hookId, lifecycleStage } = event.detail;
  const hook = awaitingPause(sd, hookId);
  if (!hook?.hookId) {
    return ignored(`service deployment of ${what} waits at no PAUSE hook${hookId ? ` ${hookId}` : ''}`);
  }
  if (!isNewPause(record, hook.hookId)) return ignored(`pause ${hook.hookId} of ${what} was already noted`);
  const stage = lifecycleStage ?? pauseStageOf(record, sd);
  const pause = pauseFromHook(hook, stage, deps.now());
  const before = await notePause(record, pause, deps);
  if (!before) return ignored(`pause ${hook.hookId} of ${what} was noted by someone else`);
  if (before.pause?.pauseId) {
    // The deployment moved on past an earlier pause without a Shipgate decision.
    await passPauseOnEvent(
      before.pause.pauseId,
      `ECS moved on to ${pause.stage} without a Shipgate decision`,
      deps,
    );
  }
  const resumed = before.taskToken
    ? await resumeWith(before.taskToken, pausedOutput(record, pause), deps)
    : false;
  logger.info('rollout paused at a PAUSE hook', {
    serviceName: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    hookId: pause.hookId,
    stage: pause.stage,
    resumed,
  });
  return {
    action: 'paused',
    service: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    hookId: pause.hookId,
    stage: pause.stage,
    resumed,
  };
}

async function handleCodeDeployEvent(
  event: z.infer<typeof codeDeployEventSchema>,
  deps: RolloutDeps,
): Promise<EventHandling> {
  const { application, deploymentGroup, deploymentId, state } = event.detail;
  if (!CODEDEPLOY_FINAL.has(state)) return ignored(`CodeDeploy state ${state} is not final`);
  const what = `CodeDeploy ${application}/${deploymentGroup}`;
  const record = await getRecordByGroup(application, deploymentGroup, deps);
  const notWaiting = waiting(record, what) ?? elsewhere(event, record, what, deps);
  if (notWaiting || !record) return ignored(notWaiting ?? what);
  deps = forEnvironment(deps, record.environment);
  if (record.rollback?.status === 'IN_PROGRESS')
    return afterRelease(await settleRollbackFromEvent(record, deps), record, deps);
  if (record.deploymentId && record.deploymentId !== deploymentId) {
    return ignored(
      `event for deployment ${deploymentId}, the release waits on ${record.deploymentId} (${what})`,
    );
  }
  const matched = { ...record, deploymentId };
  let observation = await observe(matched, deps);
  if (observation.state === 'IN_PROGRESS') {
    observation =
      state === 'SUCCESS'
        ? { state: 'COMPLETED', detail: `CodeDeploy reported ${deploymentId} SUCCESS` }
        : {
            state: 'FAILED',
            reason: `CodeDeploy deployment ${deploymentId} ${state}`,
            rolledBackTo: record.previousTaskDefinitionArn,
          };
  }
  return settleFromEvent(matched, observation, deps);
}

async function settleFromEvent(
  record: RolloutRecord,
  observation: Observation,
  deps: RolloutDeps,
): Promise<EventHandling> {
  const settlement = settlementFor(record, observation, deps.now().toISOString());
  if (!settlement) return ignored('deployment still in progress');
  const held = await finish(record, settlement, deps, { resume: true });
  const result: EventHandling = {
    action: 'settled',
    service: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    status: held.status,
  };
  logger.info('deployment event settled a rollout', {
    serviceName: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    status: held.status,
  });
  return afterRelease(result, record, deps);
}

/**
 * After a settlement: when the release's execution has ended, nobody else records what ECS did, so the
 * ledger, quarantine and release record are written here (issue 27). Never fails the event: a failure is
 * logged and the reconciler repairs it later.
 */
async function afterRelease(
  handled: EventHandling,
  record: RolloutRecord,
  deps: RolloutDeps,
): Promise<EventHandling> {
  if (handled.action !== 'settled') return handled;
  try {
    const settled = await getRecord(record.clusterName, record.serviceName, deps);
    if (!settled || settled.attempt !== record.attempt) return handled;
    const done = await recordAfterRelease(settled, deps);
    return done.recorded ? { ...handled, afterRelease: done.result } : handled;
  } catch (err) {
    logger.warn('Could not record the outcome after the release ended; the reconciler will', {
      releaseId: record.releaseId,
      error: (err as Error)?.name,
    });
    return handled;
  }
}
