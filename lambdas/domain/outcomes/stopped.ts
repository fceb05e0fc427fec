import * as z from '../../shared/zod';
import { logger } from '../../shared/logger';
import type { ApprovalDeps } from '../approvals/deps';
import { listPendingApprovalIds, readApprovalRecord } from '../approvals/store';
import { endApproval } from '../approvals/vote';
import { describeRelease, type StatusDeps } from '../releases/status';
import { getRelease, updateRelease, type EnvironmentOutcome } from '../releases/store';
import { announceOutcome, type AnnounceDeps } from './announce';
import { takeOverRelease, type OrphanAction, type OrphanDeps } from '../reconcile/orphans';

/**
 * An execution that ended without running its own "Report failure" (stopped by an operator or a sandbox
 * restart, or past the state machine's own timeout): Step Functions says so with an EventBridge "Step
 * Functions Execution Status Change" event (`detail`: executionArn, stateMachineArn, name, status, startDate,
 * stopDate, input, output, and error / cause). The release record takes the state its execution
 * history gives (ABORTED, environments as derived), its open approvals end (their links say the release no
 * longer waits), and chat hears that it was aborted and where.
 */

const eventSchema = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.looseObject({
    executionArn: z.string(),
    name: z.string(),
    status: z.string(),
    error: z.nullish(z.string()),
    cause: z.nullish(z.string()),
  }),
});

/** What was done with one event. */
export type StoppedHandling =
  | { handled: false; reason: string }
  | {
      handled: true;
      releaseId: string;
      environment?: string;
      approvalsEnded: number;
      chat: string;
      /** What became of the rollouts the execution left behind (issue 27). */
      rollouts?: OrphanAction[];
    };

/** Handles an execution status change event (see the module comment). Idempotent. */
export async function handleExecutionStopped(
  event: unknown,
  deps: { status: StatusDeps; approvals: ApprovalDeps; announce: AnnounceDeps; rollouts?: OrphanDeps },
): Promise<StoppedHandling> {
  const parsed = eventSchema.safeParse(event);
  if (!parsed.success) return { handled: false, reason: 'not a Step Functions execution status change' };
  const { detail } = parsed.data;
  if (detail.status !== 'ABORTED' && detail.status !== 'TIMED_OUT') {
    return { handled: false, reason: `status ${detail.status} is reported by the workflow itself` };
  }
  const tables = { ddb: deps.approvals.ddb, table: deps.approvals.table };
  const record = await getRelease(detail.name, tables);
  if (!record || record.executionArn !== detail.executionArn) {
    return { handled: false, reason: `no release record for execution ${detail.name}` };
  }
  const view = await describeRelease(record.id, deps.status);
  const stoppedIn = view.environments.find((e) =>
    ['ABORTED', 'RUNNING_UNVERIFIED', 'FAILED'].includes(e.status),
  );
  const error = detail.error ?? (detail.status === 'TIMED_OUT' ? 'States.Timeout' : 'Aborted');
  try {
    await updateRelease(
      record.id,
      {
        status: 'ABORTED',
        currentStep: view.currentStep,
        error: { error, ...(detail.cause ? { cause: detail.cause } : {}) },
        environments: Object.fromEntries(
          view.environments
            .filter((e) => e.status !== 'PENDING')
            .map((e): [string, EnvironmentOutcome] => [
              e.name,
              {
                status: e.status,
                at: deps.approvals.now().toISOString(),
                ...(e.digests ? { digests: e.digests } : {}),
                ...(e.detail ? { detail: e.detail } : {}),
              },
            ]),
        ),
        ifStatus: ['RUNNING'],
      },
      tables,
    );
  } catch (err) {
    logger.info('Release record already final; left as it is', {
      releaseId: record.id,
      error: (err as Error).name,
    });
  }
  let approvalsEnded = 0;
  const reason = `This release is no longer waiting for approval: its execution ${
    detail.status === 'ABORTED' ? 'was aborted' : 'timed out'
  }${detail.cause ? ` (${detail.cause.slice(0, 300)})` : ''}. Nothing was recorded; a new pipeline starts a new release.`;
  for (const id of await listPendingApprovalIds(deps.approvals, record.release.project.id)) {
    const approval = await readApprovalRecord(deps.approvals, id);
    if (approval?.status === 'OPEN' && approval.executionArn === detail.executionArn) {
      await endApproval(deps.approvals, id, reason);
      approvalsEnded++;
    }
  }
  const unverified = view.environments.filter((e) => e.status === 'RUNNING_UNVERIFIED').map((e) => e.name);
  const chat = await announceOutcome(
    record.release,
    {
      kind: 'aborted',
      ...(stoppedIn ? { environment: stoppedIn.name } : {}),
      cause: `${detail.status === 'ABORTED' ? 'The execution was stopped' : 'The execution timed out'}${
        view.currentStep ? ` in "${view.currentStep}"` : ''
      }${detail.cause ? `: ${detail.cause}` : ''}.${
        unverified.length
          ? ` ${unverified.join(', ')} may run this release's digest, never verified: check it or roll back.`
          : ' Nothing more runs for this release.'
      }`,
    },
    { once: 'ended', executionArn: detail.executionArn },
    deps.announce,
  );
  // Rollouts it left running or waiting at a pause: the safe default and a word in chat (reconcile/orphans.ts).
  const rollouts = deps.rollouts
    ? await takeOverRelease(record.id, detail.executionArn, detail.status, {
        ...deps.rollouts,
        announce: deps.announce,
      })
    : undefined;
  return {
    handled: true,
    releaseId: record.id,
    ...(stoppedIn ? { environment: stoppedIn.name } : {}),
    approvalsEnded,
    chat,
    ...(rollouts ? { rollouts } : {}),
  };
}
