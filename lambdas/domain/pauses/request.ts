import { releaseCommitAuthors } from '../decisions/commit-authors';
import { createHash } from 'node:crypto';
import * as z from '../../shared/zod';
import { getEnvironment, type PauseConfig } from '../../shared/config';
import { ShipgateError } from '../../shared/errors';
import { executionUrl } from '../../shared/links';
import { logger } from '../../shared/logger';
import { forEnvironment, loadContract, type RolloutDeps } from '../rollout/deps';
import { RolloutFailed } from '../rollout/errors';
import { registerPauseWaiter, resumeWith } from '../rollout/pauses';
import { getRecord } from '../rollout/records';
import { deliver } from '../rollout/settle';
import { describeServiceDeployment } from '../rollout/service-deployments';
import { ownRecordOrThrow, rewait, type RolloutTaskResult } from '../rollout/start';
import { planRollout, type RolloutPlan } from '../rollout/strategy';
import { rolloutTaskInputSchema } from '../rollout/types';
import type { PauseDeps } from './deps';
import { pauseFacts } from './facts';
import { notifyPauseRequest, recordPauseProgress } from './notify';
import { createPauseRecord, markPauseNotified, readPauseRecord, toPauseView } from './store';
import type { PausePolicySnapshot, PauseRecord } from './types';

/**
 * "Paused in <env>: wait for decision" (`request-pause`, waitForTaskToken): the rollout of one service is
 * stopped at an ECS PAUSE hook. Registers this task as the rollout's waiter, opens the pause decision
 * (`PAUSE#<id>`) with the configured approvers, quorum and ECS's deadline, and posts the message. The task
 * resumes with people's decision (`{ status: 'DECIDED' }`, sent by the decision route after
 * ContinueServiceDeployment), or with whatever ECS does next (a later pause, completion, a rollback at the
 * timeout), which rollout-events reports exactly as for any other waiter.
 */

/** Payload of `request-pause`. */
export const requestPauseInputSchema = z.extend(rolloutTaskInputSchema, {
  rollout: z.object({
    status: z.literal('PAUSED'),
    hookId: z.string().check(z.minLength(1)),
    stage: z.string().check(z.minLength(1)),
    expiresAt: z.optional(z.string()),
  }),
});
/** Payload of `request-pause`. */
export type RequestPauseInput = z.infer<typeof requestPauseInputSchema>;

/** What `request-pause` did (its Lambda result; the task itself waits for the token). */
export type RequestPauseResult = RolloutTaskResult | { status: 'OPENED' | 'REOPENED'; pauseId: string };

/** Id of the pause for one execution and hook (a retried invoke finds its own). */
export function pauseIdFor(executionArn: string, hookId: string): string {
  return `pau_${createHash('sha256').update(`${executionArn}\n${hookId}`).digest('hex').slice(0, 24)}`;
}

/** The configured pause at `stage`, frozen with each approver's identities. */
export function pausePolicy(
  deps: Pick<PauseDeps, 'config'>,
  plan: Pick<RolloutPlan, 'pauses' | 'environment'>,
  stage: string,
  timeoutAction: string | undefined,
): PausePolicySnapshot {
  const configured: PauseConfig | undefined = plan.pauses.find((p) => p.at === stage);
  // A PAUSE hook Shipgate did not configure (the infrastructure's own) is decided by the environment's approvers.
  const env = getEnvironment(deps.config, plan.environment).approval;
  const keys = configured?.approvers ?? env.approvers;
  return {
    approvers: [...new Set(keys)].map((key) => {
      const a = deps.config.approvers[key] ?? {};
      return { key, name: a.name ?? key, slack: a.slack, email: a.email };
    }),
    quorum: configured?.quorum ?? env.quorum,
    timeoutSeconds: configured?.timeout ?? 0,
    onTimeout: configured?.onTimeout ?? (timeoutAction === 'CONTINUE' ? 'CONTINUE' : 'ROLLBACK'),
    allowSelfApproval: configured?.allowSelfApproval ?? env.allowSelfApproval,
    selfApproval: configured?.selfApproval ?? env.selfApproval,
  };
}

/**
 * Opens the pause for a "Paused in <env>" task.
 * @example await requestPause(event, { rollout: rolloutDeps(), pause: pauseDeps() })
 */
export async function requestPause(
  raw: unknown,
  deps: { rollout: RolloutDeps; pause: PauseDeps },
): Promise<RequestPauseResult> {
  const token = (raw as { taskToken?: unknown } | null)?.taskToken;
  try {
    const parsed = requestPauseInputSchema.safeParse(raw);
    if (!parsed.success) {
      throw new RolloutFailed(
        `Invalid request-pause payload: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    }
    return await openPause(parsed.data, deps);
  } catch (err) {
    if (!(err instanceof ShipgateError) || typeof token !== 'string') throw err;
    logger.warn('request-pause failed', { error: err.name, message: err.message });
    await deliver(
      token,
      { status: 'FAILED', failure: { error: err.name, cause: err.message } },
      deps.rollout,
    );
    return { status: 'FAILED', error: err.name };
  }
}

async function openPause(
  input: RequestPauseInput,
  deps: { rollout: RolloutDeps; pause: PauseDeps },
): Promise<RequestPauseResult> {
  const { environment, image, release, executionArn, taskToken } = input;
  const { hookId, stage } = input.rollout;
  deps = { ...deps, rollout: forEnvironment(deps.rollout, environment) };
  const contract = await loadContract(environment, image.service, deps.rollout);
  const plan = planRollout(contract, deps.rollout.config, image.service, environment);
  const record = ownRecordOrThrow(await getRecord(plan.clusterName, plan.serviceName, deps.rollout), input);
  const id = pauseIdFor(executionArn, hookId);
  if (record.pause?.hookId !== hookId || !record.serviceDeploymentArn) {
    // ECS already moved on (another pause, or the end): wait as any rollout waiter does.
    return rewait(record, input, deps.rollout);
  }
  if (!(await registerPauseWaiter(record, hookId, id, taskToken, executionArn, deps.rollout))) {
    const now = (await getRecord(plan.clusterName, plan.serviceName, deps.rollout)) ?? record;
    return rewait(now, input, deps.rollout);
  }
  const sd = await describeServiceDeployment(record.serviceDeploymentArn, deps.rollout);
  const hook = sd.lifecycleHookDetails?.find((h) => h.hookId === hookId);
  if (sd.status !== 'IN_PROGRESS' || hook?.status !== 'AWAITING_ACTION') {
    // Passed between the event and now: back to waiting for the rollout ("Await rollout <env>").
    await resumeWith(
      taskToken,
      { status: 'PASSED', hookId, stage, detail: `hook ${hook?.status ?? 'gone'}` },
      deps.rollout,
    );
    return { status: 'WAITING', detail: `pause ${hookId} no longer waits (${hook?.status ?? 'gone'})` };
  }
  const now = deps.pause.now();
  const commitAuthors = await releaseCommitAuthors(release, environment, deps.pause);
  const expiresAt = hook.expiresAt
    ? Math.floor(new Date(hook.expiresAt).getTime() / 1000)
    : Math.floor(now.getTime() / 1000) + 1440 * 60;
  const item: PauseRecord = {
    pk: `PAUSE#${id}`,
    sk: 'PAUSE',
    id,
    status: 'OPEN',
    executionArn,
    executionUrl: executionUrl(executionArn, deps.pause.env),
    environment,
    service: image.service,
    release: {
      id: release.id,
      projectPath: release.project.path,
      commitSha: release.commit.sha,
      commitTitle: release.commit.title,
      triggeredBy: release.triggeredBy,
      ...(commitAuthors.length ? { commitAuthors } : {}),
    },
    digest: image.digest,
    stage,
    hookId,
    serviceDeploymentArn: record.serviceDeploymentArn,
    clusterName: record.clusterName,
    serviceName: record.serviceName,
    policy: pausePolicy(deps.pause, plan, stage, hook.timeoutAction),
    facts: await pauseFacts(
      sd,
      record,
      plan,
      plan.alarms,
      deps.pause.environmentCloudwatch?.(environment) ?? deps.pause.cloudwatch,
    ),
    votes: {},
    continueCount: 0,
    createdAt: now.toISOString(),
    expiresAt,
    ttl: expiresAt + 365 * 86400,
  };
  const created = await createPauseRecord(deps.pause, item);
  const current = created ? item : await readPauseRecord(deps.pause, id);
  if (!current) throw new Error(`Pause ${id} vanished right after it was written`);
  logger.info(`Pause ${id} ${created ? 'opened' : 'already open (retried invoke)'}`, {
    pauseId: id,
    releaseId: release.id,
    environment,
    serviceName: image.service,
    stage,
  });
  if (current.status === 'OPEN' && created) await recordPauseProgress(deps.pause, toPauseView(current));
  if (current.status === 'OPEN' && !current.notifiedAt) {
    const sent = await notifyPauseRequest(deps.pause, toPauseView(current));
    if (sent === 'sent') await markPauseNotified(deps.pause, id, deps.pause.now().toISOString());
  }
  return { status: created ? 'OPENED' : 'REOPENED', pauseId: id };
}
