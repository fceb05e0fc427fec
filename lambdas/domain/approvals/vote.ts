import { logger } from '../../shared/logger';
import { provenBy } from '../decisions/identity';
import { selfApprovalWhy } from '../decisions/self-approval';
import { approverName } from '../chat/messages';
import { expireApproval } from './close';
import { nowSeconds, type ApprovalDeps } from './deps';
import {
  AlreadyVotedError,
  ApprovalClosedError,
  ApprovalExpiredError,
  ApprovalNotFoundError,
  NotAnApproverError,
  SelfApprovalError,
} from './errors';
import { noLongerWaiting } from './liveness';
import { followUp } from '../followups/dispatch';
import { closeApprovalRecord, putVote, readApprovalRecord, reviseOutcome, toView } from './store';
import { sendApproved, sendFailed } from './task';
import type {
  ApprovalRecord,
  ApprovalView,
  ApproverSnapshot,
  Decision,
  VoteChannel,
  VoteResult,
} from './types';

/**
 * Votes on approval requests, from the confirm page or a Slack button. Every rule is enforced by one
 * conditional DynamoDB write (open, before the deadline, one vote per approver), and the request closes
 * with a second conditional write (OPEN → APPROVED / REJECTED) whose winner alone talks to Step Functions.
 */

/** A vote as the edges hand it over. */
export interface VoteInput {
  approvalId: string;
  /** Approver key: the GitLab username signed in on the review page, or mapped from the Slack user. */
  approver: string;
  decision: Decision;
  reason?: string;
  /** The approver marks the release as a hotfix (unplanned work: DORA rework rate). Approvals only. */
  hotfix?: boolean;
  via: VoteChannel;
  /** Who authenticated, for the record: `gitlab:alice`, `slack:U01ALICE01`. */
  identity: string;
}

/** Longest reason kept (the rest is cut). */
export const MAX_REASON_LENGTH = 1000;

/** Reads an approval for display (no task token). @throws ApprovalNotFoundError */
export async function getApprovalView(deps: ApprovalDeps, id: string): Promise<ApprovalView> {
  const record = await readApprovalRecord(deps, id);
  if (!record) throw notFound(id);
  return toView(record);
}

function notFound(id: string): ApprovalNotFoundError {
  return new ApprovalNotFoundError(
    `No approval "${id}" exists; the link may belong to another Shipgate installation or a deleted request.`,
  );
}

/** The approver of `view`'s policy with this key. @throws NotAnApproverError */
export function policyApprover(view: ApprovalView, key: string): ApproverSnapshot {
  const approver = view.policy.approvers.find((a) => a.key === key);
  if (!approver) {
    throw new NotAnApproverError(
      `"${key}" is not an approver of approval ${view.id} (${view.environment}); its approvers are ${view.policy.approvers
        .map((a) => a.key)
        .join(', ')}. Ask one of them, or change the environment's approval policy.`,
    );
  }
  return approver;
}

/** Why the approver counts as the release's own person (pipeline user, commit author), or `undefined`. */
export function selfApprovalReason(view: ApprovalView, approver: ApproverSnapshot): string | undefined {
  return selfApprovalWhy(
    { triggeredBy: view.subject.triggeredBy, commitAuthors: view.subject.commitAuthors },
    approver,
    view.policy.selfApproval,
  );
}

/** Why `view` no longer takes votes, as a 409. */
export function closedError(view: ApprovalView): ApprovalClosedError {
  const o = view.outcome;
  switch (view.status) {
    case 'EXPIRED':
      return new ApprovalExpiredError(
        `Approval ${view.id} timed out at ${new Date(view.expiresAt * 1000).toISOString()}; the release stopped at ${view.environment}. Start a new pipeline to release again.`,
      );
    case 'ENDED':
      return new ApprovalClosedError(
        o?.reason ?? `Approval ${view.id}: the release no longer waits for it; nothing was recorded.`,
      );
    case 'SUPERSEDED':
      return new ApprovalClosedError(
        `Approval ${view.id} was superseded${o?.supersededBy ? ` by release ${o.supersededBy}` : ''}; vote on the newer release instead.`,
      );
    default:
      return new ApprovalClosedError(
        `Approval ${view.id} is already decided: ${view.status.toLowerCase()}${
          o?.by.length ? ` by ${o.by.map((k) => approverName(view, k)).join(', ')}` : ''
        } at ${o?.at ?? 'an earlier time'}. Nothing was changed.`,
      );
  }
}

/**
 * Ends an open approval whose deadline has passed (for a vote arriving too late or a signed link used after
 * its expiry). Returns the approval as it now stands.
 */
export async function expireIfOverdue(deps: ApprovalDeps, id: string): Promise<ApprovalView | undefined> {
  const record = await readApprovalRecord(deps, id);
  if (!record) return undefined;
  if (record.status === 'OPEN' && nowSeconds(deps) >= record.expiresAt) {
    return (await expireApproval(deps, record)) ?? toView((await readApprovalRecord(deps, id)) ?? record);
  }
  return toView(record);
}

/**
 * Records a vote. On the quorum of distinct approvals it sends `SendTaskSuccess`
 * `{ approvalId, approvedBy, decidedAt }`; on a rejection `SendTaskFailure` `ApprovalRejected` with
 * "Rejected by <name>: <reason>"; either exactly once, with a follow-up chat message.
 * @throws NotAnApproverError / SelfApprovalError (403), AlreadyVotedError / ApprovalClosedError /
 *   ApprovalExpiredError (409), ApprovalNotFoundError (404).
 */
export async function castVote(input: VoteInput, deps: ApprovalDeps): Promise<VoteResult> {
  const record = await readApprovalRecord(deps, input.approvalId);
  if (!record) throw notFound(input.approvalId);
  const view = toView(record);
  const approver = policyApprover(view, input.approver);
  const own =
    input.decision === 'approve' && !view.policy.allowSelfApproval && selfApprovalReason(view, approver);
  if (own) {
    throw new SelfApprovalError(
      `${own}, and the ${view.environment} policy does not allow approving one's own release; another approver must approve it. Nothing was recorded.`,
    );
  }
  await assertVotable(deps, record, input.approver);
  // The execution may have ended without this gate (stopped, failed elsewhere): say so, take no vote.
  const gone = await noLongerWaiting(deps, view);
  if (gone) throw closedError(await endApproval(deps, record.id, gone));

  const reason = input.reason?.trim().slice(0, MAX_REASON_LENGTH) || undefined;
  const at = deps.now().toISOString();
  const updated = await putVote(
    deps,
    record.id,
    input.approver,
    {
      decision: input.decision,
      at,
      via: input.via,
      identity: input.identity,
      ...(reason ? { reason } : {}),
      ...(input.hotfix && input.decision === 'approve' ? { hotfix: true } : {}),
    },
    nowSeconds(deps),
  );
  if (!updated) {
    // Lost a race (or the deadline passed in between): say exactly why.
    const latest = (await readApprovalRecord(deps, record.id)) ?? record;
    await assertVotable(deps, latest, input.approver);
    throw new ApprovalClosedError(`Approval ${record.id} did not take the vote; try again.`);
  }
  logger.info(`Vote recorded on approval ${record.id}`, {
    approvalId: record.id,
    approver: input.approver,
    decision: input.decision,
    via: input.via,
  });

  if (input.decision === 'reject') {
    const cause = `Rejected by ${approver.name}${provenBy(updated.votes, [input.approver])}${reason ? `: ${reason}` : ' (no reason given)'}`;
    const closed = await closeApprovalRecord(deps, record.id, {
      status: 'REJECTED',
      at,
      by: [input.approver],
      reason: reason ?? undefined,
    });
    if (closed) return finish(deps, closed, await sendFailed(deps, closed, 'ApprovalRejected', cause));
    return {
      approval: toView((await readApprovalRecord(deps, record.id)) ?? updated),
      decided: false,
      remaining: 0,
    };
  }

  const approvedBy = Object.entries(updated.votes)
    .filter(([, v]) => v.decision === 'approve')
    .sort(([, a], [, b]) => a.at.localeCompare(b.at))
    .map(([k]) => k);
  if (approvedBy.length < updated.policy.quorum) {
    await followUp(deps, { kind: 'approval', id: updated.id, tell: 'progress' });
    return {
      approval: toView(updated),
      decided: false,
      remaining: updated.policy.quorum - approvedBy.length,
    };
  }
  const closed = await closeApprovalRecord(deps, record.id, { status: 'APPROVED', at, by: approvedBy });
  if (!closed) {
    // Someone else closed it between our vote and now (a concurrent quorum vote or a rejection).
    return {
      approval: toView((await readApprovalRecord(deps, record.id)) ?? updated),
      decided: false,
      remaining: 0,
    };
  }
  // Any approver who marked it a hotfix makes it unplanned work in the ledger.
  const hotfix = Object.values(updated.votes).some((v) => v.decision === 'approve' && v.hotfix === true);
  const delivery = await sendApproved(deps, closed, {
    approvalId: closed.id,
    approvedBy,
    approvedVia: approvedBy.map((k) => updated.votes[k].via),
    approvedNames: approvedBy.map((k) => updated.policy.approvers.find((a) => a.key === k)?.name ?? k),
    decidedAt: at,
    requestedAt: closed.createdAt,
    ...(hotfix ? { hotfix: true } : {}),
  });
  return finish(deps, closed, delivery);
}

async function finish(
  deps: ApprovalDeps,
  closed: ApprovalRecord,
  delivery: 'sent' | 'gone' | 'failed',
): Promise<VoteResult> {
  if (delivery === 'gone') {
    // The execution ended meanwhile: record that, not a timeout.
    const ended = await noLongerWaiting(deps, toView(closed));
    if (ended) {
      const view = toView(
        await reviseOutcome(deps, closed.id, {
          status: 'ENDED',
          at: deps.now().toISOString(),
          by: [],
          reason: ended,
        }),
      );
      await followUp(deps, { kind: 'approval', id: view.id, tell: 'ended' });
      throw closedError(view);
    }
    // Step Functions no longer waits (its TimeoutSeconds fired before our deadline): the gate already
    // failed closed, so record the approval as timed out rather than claim a decision that had no effect.
    const reason = `The vote arrived after the "Approve ${closed.environment}" task had ended (timed out or stopped); nothing was deployed.`;
    const view = toView(
      await reviseOutcome(deps, closed.id, {
        status: 'EXPIRED',
        at: deps.now().toISOString(),
        by: [],
        reason,
      }),
    );
    await followUp(deps, { kind: 'approval', id: view.id, tell: 'outcome' });
    throw closedError(view);
  }
  const view = toView(closed);
  await followUp(deps, { kind: 'approval', id: view.id, tell: 'outcome' });
  return { approval: view, decided: true, remaining: 0, delivery };
}

/**
 * Closes an open approval as ENDED (its execution no longer waits) and returns it; when someone else closed
 * it first, returns it as it now stands.
 */
export async function endApproval(deps: ApprovalDeps, id: string, reason: string): Promise<ApprovalView> {
  const closed = await closeApprovalRecord(deps, id, {
    status: 'ENDED',
    at: deps.now().toISOString(),
    by: [],
    reason,
  });
  if (!closed) return getApprovalView(deps, id);
  const view = toView(closed);
  logger.info(`Approval ${id} closed as ENDED`, { approvalId: id });
  await followUp(deps, { kind: 'approval', id: view.id, tell: 'ended' });
  return view;
}

async function assertVotable(deps: ApprovalDeps, record: ApprovalRecord, approver: string): Promise<void> {
  if (record.status !== 'OPEN') throw closedError(toView(record));
  if (nowSeconds(deps) >= record.expiresAt) {
    const view = (await expireApproval(deps, record)) ?? (await getApprovalView(deps, record.id));
    throw closedError(view.status === 'OPEN' ? { ...view, status: 'EXPIRED' } : view);
  }
  const previous = record.votes?.[approver];
  if (previous) {
    throw new AlreadyVotedError(
      `${approverName(toView(record), approver)} already voted "${previous.decision}" on approval ${record.id} at ${previous.at}; each approver votes once.`,
    );
  }
}
