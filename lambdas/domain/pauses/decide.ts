import { ContinueServiceDeploymentCommand } from '@aws-sdk/client-ecs';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { logger } from '../../shared/logger';
import { isConditionFailure } from '../../shared/table';
import {
  AlreadyVotedError,
  ApprovalClosedError,
  ApprovalNotFoundError,
  NotAnApproverError,
  SelfApprovalError,
} from '../approvals/errors';
import { noLongerWaiting } from '../approvals/liveness';
import { provenBy } from '../decisions/identity';
import { selfApprovalWhy } from '../decisions/self-approval';
import { type AttemptRecord, updateAttempt } from '../rollout/attempt-update';
import { recordPauseDecision, resumeWith, takePauseWaiter } from '../rollout/pauses';
import { getRecord } from '../rollout/records';
import { describeServiceDeployment } from '../rollout/service-deployments';
import { endPause } from './close';
import { pauseInEnvironment, type PauseDeps } from './deps';
import { pauseOutcomeSentence, stageWords } from './messages';
import { followUp } from '../followups/dispatch';
import {
  closePauseRecord,
  pauseKey,
  putPauseVote,
  readPauseRecord,
  revisePauseRecord,
  toPauseView,
} from './store';
import type { PauseDecidedOutput, PauseDecision, PauseRecord, PauseView } from './types';
import type { ApproverSnapshot } from '../approvals/types';

/**
 * Deciding a pause, from the confirm page or a Slack button. The rules are the release approvals' (one vote
 * per approver, the quorum of distinct "continue" votes, no continuing one's own release unless allowed, a
 * reason kept), enforced by conditional writes. The vote that decides closes the pause (OPEN → CONTINUED /
 * ROLLED_BACK, once), calls ContinueServiceDeployment for that hook, then resumes the waiting task with the
 * decision. A pause ECS no longer waits at (passed, timed out, superseded by a later stage or release) is
 * refused with 409 and the reason, and nothing changes in ECS.
 */

/** A decision as the edges hand it over. */
export interface PauseVoteInput {
  pauseId: string;
  approver: string;
  decision: PauseDecision;
  reason?: string;
  via: 'gitlab' | 'slack';
  identity: string;
}

/** What a decision did. */
export interface PauseVoteResult {
  pause: PauseView;
  decided: boolean;
  /** "continue" votes still needed. */
  remaining: number;
}

/** Longest reason kept. */
export const MAX_PAUSE_REASON = 1000;

/** The pause for display. @throws ApprovalNotFoundError (404) */
export async function getPauseView(deps: PauseDeps, id: string): Promise<PauseView> {
  const record = await readPauseRecord(deps, id);
  if (!record) {
    throw new ApprovalNotFoundError(
      `No pause "${id}" exists; the link may belong to another Shipgate installation.`,
    );
  }
  return toPauseView(record);
}

/** The approver of the pause's policy with this key. @throws NotAnApproverError (403) */
export function pauseApprover(view: PauseView, key: string): ApproverSnapshot {
  const a = view.policy.approvers.find((x) => x.key === key);
  if (!a) {
    throw new NotAnApproverError(
      `"${key}" may not decide pause ${view.id} (${view.service} in ${view.environment}); its approvers are ${view.policy.approvers
        .map((x) => x.key)
        .join(', ')}.`,
    );
  }
  return a;
}

/** Why the approver counts as the release's own person (pipeline user, commit author), or `undefined`. */
export function ownReleaseReason(view: PauseView, approver: ApproverSnapshot): string | undefined {
  return selfApprovalWhy(view.release, approver, view.policy.selfApproval);
}

/** Why a closed pause takes no decision (409). */
export function pauseClosedError(view: PauseView): ApprovalClosedError {
  return new ApprovalClosedError(
    `Pause ${view.id} (${view.service} in ${view.environment}, ${stageWords(view.stage)}) no longer takes decisions: ${pauseOutcomeSentence(view)}. Nothing was changed.`,
  );
}

/** What ECS says about the pause's hook right now. */
async function ecsHook(deps: PauseDeps, record: PauseRecord) {
  const sd = await describeServiceDeployment(record.serviceDeploymentArn, {
    ecs: deps.environmentEcs(record.environment),
  });
  const hook = sd.lifecycleHookDetails?.find((h) => h.hookId === record.hookId);
  return { sd, hook, waits: sd.status === 'IN_PROGRESS' && hook?.status === 'AWAITING_ACTION' };
}

/** The pause outcome that matches what ECS says once it no longer waits at the hook. */
function outcomeFromEcs(
  record: PauseRecord,
  { sd, hook }: Awaited<ReturnType<typeof ecsHook>>,
  prefix = '',
): { status: 'TIMED_OUT' | 'PASSED'; reason: string } {
  if (hook?.status === 'TIMED_OUT') {
    return {
      status: 'TIMED_OUT',
      reason: `${prefix}Nobody decided before ${new Date(record.expiresAt * 1000).toISOString()}: ECS took the timeout action ${hook?.timeoutAction ?? record.policy.onTimeout}`,
    };
  }
  return {
    status: 'PASSED',
    reason: `${prefix}ECS no longer waits at this pause (hook ${hook?.status ?? 'no longer listed'}, service deployment ${sd.status ?? 'unknown'} at ${sd.lifecycleStage ?? 'an unknown stage'})`,
  };
}

/**
 * Whether this decision can still be taken: ECS waits at the hook (service deployment IN_PROGRESS, hook
 * AWAITING_ACTION) and, for "continue", the execution still runs. A "rollback" is taken whenever ECS still
 * waits, even after the release's execution ended (issue 27: nothing Shipgate started is left without an
 * owner). Otherwise closes the pause with the truth and returns it closed.
 */
async function stillWaiting(
  deps: PauseDeps,
  record: PauseRecord,
  decision: PauseDecision,
): Promise<PauseView | undefined> {
  const ecs = await ecsHook(deps, record);
  if (ecs.waits && decision === 'rollback') return undefined;
  const ended = await noLongerWaiting(deps, {
    executionArn: record.executionArn,
    environment: record.environment,
    id: record.id,
  });
  if (ended) {
    const reason = ended
      .replace('for approval', 'at this pause')
      .replace(
        /Nothing was recorded; a new pipeline starts a new release\.$/,
        ecs.waits
          ? 'ECS still waits here: "roll back" is still taken; "continue" is not, since no workflow would verify the result.'
          : 'A new pipeline starts a new release.',
      );
    return (
      (await endPause(deps, record.id, { status: 'ENDED', reason })) ?? (await getPauseView(deps, record.id))
    );
  }
  if (ecs.waits) return undefined;
  return (
    (await endPause(deps, record.id, outcomeFromEcs(record, ecs))) ?? (await getPauseView(deps, record.id))
  );
}

/**
 * A "roll back" on a pause that was closed ENDED because its release's execution ended, while ECS still waits
 * at the hook: taken (conditional ENDED → ROLLED_BACK, once), ContinueServiceDeployment ROLLBACK. Returns
 * `undefined` when ECS no longer waits (the caller answers 409 with the truth).
 */
async function rollbackEndedPause(
  deps: PauseDeps,
  record: PauseRecord,
  input: PauseVoteInput,
): Promise<PauseVoteResult | undefined> {
  const ecs = await ecsHook(deps, record);
  if (!ecs.waits) return undefined;
  const reason = input.reason?.trim().slice(0, MAX_PAUSE_REASON) || undefined;
  const at = deps.now().toISOString();
  let closed: PauseRecord;
  try {
    const out = await deps.ddb.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: pauseKey(record.id),
        UpdateExpression: 'SET #s = :s, outcome = :o, votes.#v = :vote',
        ConditionExpression: '#s = :ended',
        ExpressionAttributeNames: { '#s': 'status', '#v': input.approver },
        ExpressionAttributeValues: {
          ':s': 'ROLLED_BACK',
          ':ended': 'ENDED',
          ':o': { status: 'ROLLED_BACK', at, by: [input.approver], ...(reason ? { reason } : {}) },
          ':vote': {
            decision: 'rollback',
            at,
            via: input.via,
            identity: input.identity,
            ...(reason ? { reason } : {}),
          },
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    closed = out.Attributes as PauseRecord;
  } catch (err) {
    if (isConditionFailure(err)) return undefined;
    throw err;
  }
  logger.info(`Rollback taken on pause ${record.id} after its release ended`, {
    pauseId: record.id,
    approver: input.approver,
  });
  return { pause: await tellEcs(deps, closed, reason), decided: true, remaining: 0 };
}

/**
 * Records a decision. "rollback" decides at once; "continue" decides once the quorum is reached. Deciding
 * calls ContinueServiceDeployment (CONTINUE / ROLLBACK) for the pause's hook and resumes the waiting task.
 * @throws NotAnApproverError / SelfApprovalError (403), AlreadyVotedError / ApprovalClosedError (409),
 *   ApprovalNotFoundError (404).
 */
export async function decidePause(input: PauseVoteInput, deps: PauseDeps): Promise<PauseVoteResult> {
  const record = await readPauseRecord(deps, input.pauseId);
  if (!record) await getPauseView(deps, input.pauseId);
  const view = toPauseView(record!);
  const approver = pauseApprover(view, input.approver);
  const own =
    input.decision === 'continue' && !view.policy.allowSelfApproval && ownReleaseReason(view, approver);
  if (own) {
    throw new SelfApprovalError(
      `${own}, and the pause policy does not allow continuing one's own release; another approver must continue it (anyone may roll it back). Nothing was recorded.`,
    );
  }
  if (view.status === 'ENDED' && input.decision === 'rollback') {
    const taken = await rollbackEndedPause(deps, record!, input);
    if (taken) return taken;
    throw pauseClosedError(toPauseView((await readPauseRecord(deps, view.id)) ?? record!));
  }
  if (view.status !== 'OPEN') throw pauseClosedError(view);
  const previous = view.votes[input.approver];
  if (previous) {
    throw new AlreadyVotedError(
      `${approver.name} already decided "${previous.decision}" on pause ${view.id} at ${previous.at}; each approver decides once.`,
    );
  }
  const gone = await stillWaiting(deps, record!, input.decision);
  if (gone) throw pauseClosedError(gone);

  const reason = input.reason?.trim().slice(0, MAX_PAUSE_REASON) || undefined;
  const at = deps.now().toISOString();
  const updated = await putPauseVote(deps, view.id, input.approver, {
    decision: input.decision,
    at,
    via: input.via,
    identity: input.identity,
    ...(reason ? { reason } : {}),
  });
  if (!updated) {
    const latest = toPauseView((await readPauseRecord(deps, view.id)) ?? record!);
    if (latest.status !== 'OPEN') throw pauseClosedError(latest);
    throw new AlreadyVotedError(
      `${approver.name} already decided on pause ${view.id}; each approver decides once.`,
    );
  }
  logger.info(`Pause decision recorded on ${view.id}`, {
    pauseId: view.id,
    approver: input.approver,
    decision: input.decision,
    via: input.via,
  });

  const continuers = Object.entries(updated.votes)
    .filter(([, v]) => v.decision === 'continue')
    .sort(([, a], [, b]) => a.at.localeCompare(b.at))
    .map(([k]) => k);
  if (input.decision === 'continue' && continuers.length < updated.policy.quorum) {
    const open = toPauseView(updated);
    await followUp(deps, { kind: 'pause', id: open.id, tell: 'progress' });
    return { pause: open, decided: false, remaining: updated.policy.quorum - continuers.length };
  }
  const closed = await closePauseRecord(deps, view.id, {
    status: input.decision === 'rollback' ? 'ROLLED_BACK' : 'CONTINUED',
    at,
    by: input.decision === 'rollback' ? [input.approver] : continuers,
    ...(input.decision === 'rollback' && reason ? { reason } : {}),
  });
  if (!closed) {
    // Someone else decided between our vote and now.
    const latest = toPauseView((await readPauseRecord(deps, view.id)) ?? updated);
    return { pause: latest, decided: false, remaining: 0 };
  }
  return { pause: await tellEcs(deps, closed, reason), decided: true, remaining: 0 };
}

/** ContinueServiceDeployment for a just-closed pause, then the waiting task, chat and the release record. */
async function tellEcs(deps: PauseDeps, closed: PauseRecord, reason: string | undefined): Promise<PauseView> {
  deps = pauseInEnvironment(deps, closed.environment);
  const view = toPauseView(closed);
  const outcome = closed.outcome!;
  const action = outcome.status === 'ROLLED_BACK' ? 'ROLLBACK' : 'CONTINUE';
  // Who decided, with how each was proven: "Carol (@carol via GitLab)" (the release's failure cause says it).
  const names = outcome.by.map(
    (k) => `${view.policy.approvers.find((a) => a.key === k)?.name ?? k}${provenBy(view.votes, [k])}`,
  );
  const rollout = await getRecord(closed.clusterName, closed.serviceName, deps);
  if (rollout) {
    await recordPauseDecision(
      rollout,
      closed.hookId,
      { action, by: names, ...(reason ? { reason } : {}), at: outcome.at },
      deps,
    );
  }
  try {
    await deps.ecs.send(
      new ContinueServiceDeploymentCommand({
        serviceDeploymentArn: closed.serviceDeploymentArn,
        hookId: closed.hookId,
        action,
      }),
    );
  } catch (err) {
    // ECS refused (the hook passed or timed out in between): nothing changed there; say so and undo ours.
    const name = (err as Error)?.name ?? 'Error';
    logger.warn(`ECS refused ContinueServiceDeployment for pause ${view.id}`, {
      pauseId: view.id,
      error: name,
    });
    if (rollout) await forgetDecision(deps, rollout, closed.hookId);
    // The pause record follows ECS: a vote that arrives just before the hook's deadline is refused because
    // ECS timed the hook out in between; the pause then says TIMED_OUT, as ECS does, not PASSED.
    const truth = await ecsHook(deps, closed)
      .then((ecs) => outcomeFromEcs(closed, ecs, `ECS did not take the decision (${name}). `))
      .catch(() => ({
        status: 'PASSED' as const,
        reason: `ECS did not take the decision (${name}: ${(err as Error)?.message ?? ''}); it no longer waits at this pause`,
      }));
    const revised = toPauseView(
      await revisePauseRecord(deps, view.id, { ...truth, at: deps.now().toISOString(), by: [] }),
    );
    await followUp(deps, { kind: 'pause', id: revised.id, tell: 'outcome' });
    throw pauseClosedError(revised);
  }
  logger.info(`ContinueServiceDeployment ${action} for pause ${view.id}`, { pauseId: view.id, action });
  const output: PauseDecidedOutput = {
    status: 'DECIDED',
    pauseId: view.id,
    stage: view.stage,
    decision: action === 'ROLLBACK' ? 'rollback' : 'continue',
    by: outcome.by,
    ...(reason && action === 'ROLLBACK' ? { reason } : {}),
    at: outcome.at,
  };
  const token = rollout ? await takePauseWaiter(rollout, closed.hookId, deps) : undefined;
  if (token) await resumeWith(token, output, deps);
  await followUp(deps, { kind: 'pause', id: view.id, tell: 'outcome' });
  return view;
}

async function forgetDecision(deps: PauseDeps, rollout: AttemptRecord, hookId: string) {
  await updateAttempt(
    rollout,
    { update: 'REMOVE pause.decision', condition: 'pause.hookId = :h', values: { ':h': hookId } },
    deps,
  ).catch(() => undefined);
}
