import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { expireApprovalsOfRelease } from '../../../lambdas/domain/approvals/close';
import { approvalDeps } from '../../../lambdas/domain/approvals/deps';
import { readApprovalRecord } from '../../../lambdas/domain/approvals/store';
import { app } from '../../../lambdas/http/app';
import type { ReleaseInput } from '../../../lambdas/shared/release';
import { handler as requestApprovalHandler } from '../../../lambdas/steps/request-approval';
import {
  definitionFor,
  happyHandlers,
  runLocalWorkflow,
  stepError,
  testConfig,
  testRelease,
  type StateHandler,
} from '../../helpers/local-workflow';
import { decideAs } from '../../helpers/sign-in';
import { SECRETS, useSignedInHarness } from './harness';

/**
 * The real release state machine (rendered from the config, run with aws-local-stepfunctions) with the real
 * request-approval Lambda behind "Approve <env>": the payload the definition builds must satisfy the step,
 * votes on the review page (signed in with GitLab) decide the state, and what reaches `$.approvals.<env>` or the execution's
 * failure is what Shipgate sent with SendTaskSuccess / SendTaskFailure.
 */

const config = testConfig({ approvalTimeout: '2s' });
const suite = useSignedInHarness(app, { config });
const { sfnMock } = suite;

type Votes = Record<string, { as: string; decision: 'approve' | 'reject'; reason?: string }[]>;

/**
 * "Approve <env>" backed by the real step: open the approval, vote through the confirm-page links from the
 * chat message, and turn what Shipgate sent to Step Functions into the state's result or error.
 */
function approveWith(votes: Votes): StateHandler {
  return async (payload) => {
    const environment = String(payload.environment);
    const before = suite.harness.posts.length;
    const failuresBefore = sfnMock.commandCalls(SendTaskFailureCommand).length;
    const { approvalId } = await requestApprovalHandler(payload);
    const message = suite.harness.posts
      .slice(before)
      .find((p) => JSON.stringify(p.body).includes(approvalId));
    const review = /Review and decide \(sign in with GitLab\): (\S+)/.exec(String(message?.body.text))?.[1];
    if (!review) throw new Error(`no review link in the ${environment} message`);
    for (const v of votes[environment] ?? []) {
      // Each person signs in with GitLab as themselves (the approver key is their GitLab username).
      await decideAs(review, v.as.toLowerCase(), v.decision, v.reason ?? '');
    }
    // Only what this state's approval sent (the local runner may reuse one fake token for every state).
    const success = sfnMock
      .commandCalls(SendTaskSuccessCommand)
      .map((c) => JSON.parse(c.args[0].input.output ?? '{}') as { approvalId?: string })
      .find((o) => o.approvalId === approvalId);
    if (success) return success;
    const failures = sfnMock.commandCalls(SendTaskFailureCommand).slice(failuresBefore);
    if (failures.length) {
      const { error, cause } = failures[0].args[0].input;
      throw stepError(error ?? 'Error', cause ?? '');
    }
    return new Promise(() => undefined); // nobody decided: the state's TimeoutSeconds fails the gate
  };
}

describe('approvals in the release workflow', () => {
  it('resumes the execution with the approval result at $.approvals.<env>', async () => {
    const input = testRelease();
    const approve = approveWith({
      staging: [{ as: 'Ann', decision: 'approve' }],
      production: [
        { as: 'Ann', decision: 'approve' },
        { as: 'Ben', decision: 'approve' },
      ],
    });
    const run = await runLocalWorkflow(definitionFor(config), input, {
      ...happyHandlers(config, input),
      'Approve staging': approve,
      'Approve production': approve,
    });
    expect(run.status).toBe('SUCCEEDED');
    const approvals = run.output?.approvals as Record<string, { approvalId: string; approvedBy: string[] }>;
    expect(approvals.staging.approvedBy).toEqual(['ann']);
    expect(approvals.production.approvedBy).toEqual(['ann', 'ben']);
    expect((await readApprovalRecord(approvalDeps(), approvals.production.approvalId))?.status).toBe(
      'APPROVED',
    );
    const output = JSON.stringify(run.output);
    expect(output).not.toMatch(/fake-task-token/);
    expect(output).not.toContain(SECRETS.linkSigningKey);
  });

  it("fails the execution with ApprovalRejected and the reviewer's reason", async () => {
    const input = testRelease();
    input.release.id = 'acme-shop-p102-c0ffee00';
    input.release.createdAt = '2026-01-02T04:00:00.000Z';
    const run = await runLocalWorkflow(definitionFor(config), input, {
      ...happyHandlers(config, input),
      'Approve staging': approveWith({
        staging: [{ as: 'Ben', decision: 'reject', reason: 'Migration not reviewed' }],
      }),
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ApprovalRejected');
    expect(run.cause).toBe('Rejected by Ben (@ben via GitLab): Migration not reviewed');
    expect(run.entered).not.toContain('Deploy staging');
  });

  it('fails closed when nobody decides before the policy timeout', async () => {
    const input = testRelease();
    input.release.id = 'acme-shop-p103-c0ffee00';
    input.release.createdAt = '2026-01-02T05:00:00.000Z';
    const run = await runLocalWorkflow(definitionFor(config), input, {
      ...happyHandlers(config, input),
      'Approve staging': approveWith({}),
      // What "Report failure" does for a timed-out approval: close the request and say so in chat.
      'Report failure': async (payload) => {
        const { release } = payload as unknown as ReleaseInput;
        const closed = await expireApprovalsOfRelease(
          { projectId: release.project.id, releaseId: release.id },
          approvalDeps(),
        );
        return { reportedAt: new Date().toISOString(), closed: closed.map((v) => v.id) };
      },
    });
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ApprovalExpired');
    expect(run.entered).toContain('Approval of staging expired');
    expect(run.entered).toContain('Report failure');
    expect(run.entered).not.toContain('Deploy staging');
    const timedOut = suite.harness.posts.filter((p) =>
      String(p.body.text).startsWith('Timed out: acme/shop'),
    );
    expect(timedOut).toHaveLength(1);
    expect(String(timedOut[0].body.text)).toContain('with 0 of 1 approvals; the gate failed closed');
  });
});
