import * as z from '../../shared/zod';
import { logger } from '../../shared/logger';
import { loadContract } from '../rollout/contract';
import { parseServiceArn } from '../rollout/events';
import { updateAttempt } from '../rollout/attempt-update';
import { getRecord } from '../rollout/records';
import { runSmokeCheck, smokeUrl, type VerifyDeps } from './smoke';

/**
 * Shipgate's ECS lifecycle hook at POST_TEST_TRAFFIC_SHIFT: once ECS moved test traffic to the new revision
 * of a BLUE_GREEN / LINEAR / CANARY service deployment, run the contract's smoke check against the test
 * listener (`blueGreen.testUrl` + `smokePath`) before any production traffic moves. The answer is ECS's
 * hook contract: `{ hookStatus: SUCCEEDED }` lets the deployment go on, `FAILED` makes ECS roll back
 * (developer guide, "Lifecycle hooks for Amazon ECS service deployments"). A failure is written on the
 * rollout record, so the rollout settles as `VerifyFailed` with the check's detail.
 */

const hookEventSchema = z.object({
  resourceArn: z.string().check(z.minLength(1)),
  lifecycleStage: z.string().check(z.minLength(1)),
  executionDetails: z.looseObject({ serviceArn: z.string().check(z.minLength(1)) }),
});

/** ECS's expected answer. */
export interface HookAnswer {
  hookStatus: 'SUCCEEDED' | 'FAILED' | 'IN_PROGRESS';
}

/** Runs the test-traffic smoke check for the rollout a hook invocation belongs to. */
export async function verifyTestTraffic(event: unknown, deps: VerifyDeps): Promise<HookAnswer> {
  const parsed = hookEventSchema.safeParse(event);
  if (!parsed.success) {
    logger.warn('verify hook: not an ECS lifecycle hook payload', {
      issues: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
    return { hookStatus: 'FAILED' };
  }
  const { executionDetails, lifecycleStage, resourceArn } = parsed.data;
  const names = parseServiceArn(executionDetails.serviceArn);
  const record = names ? await getRecord(names.clusterName, names.serviceName, deps) : undefined;
  // The hook stays on the service between deployments, so it also runs for deployments Shipgate did not
  // start (an operator's `update-service --force-new-deployment`): nothing Shipgate knows to check there.
  const notOurs = !record
    ? 'no Shipgate rollout on this service'
    : record.status !== 'IN_PROGRESS'
      ? `Shipgate's last rollout of this service already ended (${record.status})`
      : record.serviceDeploymentArn && record.serviceDeploymentArn !== resourceArn
        ? 'the service deployment is not the one Shipgate started'
        : undefined;
  if (!record || notOurs) {
    logger.info('verify hook: not a Shipgate deployment; letting ECS go on', {
      serviceArn: executionDetails.serviceArn,
      reason: notOurs,
    });
    return { hookStatus: 'SUCCEEDED' };
  }
  const ssm = deps.environmentSsm?.(record.environment) ?? deps.ssm;
  const contract = await loadContract(record.environment, record.service, { ...deps, ssm });
  const url = smokeUrl(contract.blueGreen?.testUrl ?? contract.smokeUrl, contract.smokePath);
  const check = await runSmokeCheck(
    record.service,
    url,
    {
      attempts: deps.config.verify.attempts,
      intervalSeconds: deps.config.verify.interval,
      timeoutSeconds: deps.config.verify.requestTimeout,
    },
    deps,
  );
  logger.info('verify hook finished', {
    serviceName: record.service,
    environment: record.environment,
    releaseId: record.releaseId,
    lifecycleStage,
    serviceDeploymentArn: resourceArn,
    passed: check.passed,
    attempts: check.attempts,
    status: check.status,
  });
  if (check.passed) {
    // Kept for the pause message ("smoke checks so far"); best effort, the hook's answer does not depend on it.
    const entry = {
      stage: lifecycleStage,
      passed: true,
      detail: `${record.service}: GET ${url} (test listener) → ${check.status ?? 'ok'}`,
      attempts: check.attempts,
      at: deps.now().toISOString(),
    };
    await updateAttempt(
      record,
      {
        update: 'SET smokeChecks = list_append(if_not_exists(smokeChecks, :none), :c)',
        values: { ':c': [entry], ':none': [] },
      },
      deps,
    ).catch((err: Error) => logger.warn('verify hook: smoke result not kept', { error: err.name }));
    return { hookStatus: 'SUCCEEDED' };
  }
  const detail = `${record.service}: GET ${url} (test listener) → ${check.error ?? 'failed'} after ${check.attempts} attempt${check.attempts === 1 ? '' : 's'}`;
  const kept = await updateAttempt(
    record,
    {
      update: 'SET verifyFailure = :v, verifyFailureDeployment = :d',
      values: { ':v': detail, ':d': resourceArn },
    },
    deps,
  );
  // A newer attempt took the record meanwhile: this deployment's check failed all the same.
  if (!kept) logger.info('verify hook: the rollout record moved on; failure not kept', { detail });
  return { hookStatus: 'FAILED' };
}
