import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import type { FeedbackDeps } from '../../../lambdas/domain/gitlab/feedback';
import {
  feedbackForApprovalPayload,
  feedbackForFailurePayload,
  feedbackForRolloutPayload,
  feedbackForVerifiedPayload,
} from '../../../lambdas/domain/gitlab/stages';
import {
  definitionFor,
  happyHandlers,
  runLocalWorkflow,
  stepError,
  testConfig,
  testRelease,
  type StateHandler,
} from '../../helpers/local-workflow';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';

/**
 * GitLab feedback as the real release state machine drives it (run locally): each stand-in step calls the
 * same feedback line its Lambda handler has, with the payload the state machine really sends.
 */

const config = testConfig();
const input = testRelease();
let gitlab: FakeGitlab;
let deps: FeedbackDeps;

beforeEach(async () => {
  gitlab = await startFakeGitlab();
  deps = {
    api: gitlabClient({ url: gitlab.url, token: gitlab.token }, 1000),
    retry: { attempts: 2, timeoutMs: 1000, backoffMs: 10 },
  };
});
afterEach(() => gitlab.stop());

/** Happy handlers, each preceded or followed by its step's feedback call. */
function withFeedback(handlers: Record<string, StateHandler>): Record<string, StateHandler> {
  const out = { ...handlers };
  for (const env of config.environments.map((e) => e.name)) {
    const approve = handlers[`Approve ${env}`];
    out[`Approve ${env}`] = async (p) => (await feedbackForApprovalPayload(p, deps), approve(p));
    const start = handlers[`Start rollout ${env}`];
    out[`Start rollout ${env}`] = async (p) => (await feedbackForRolloutPayload(p, deps), start(p));
    const verify = handlers[`Verify ${env}`];
    out[`Verify ${env}`] = async (p) => {
      const result = await verify(p);
      await feedbackForVerifiedPayload(p, deps);
      return result;
    };
  }
  const report = handlers['Report failure'];
  out['Report failure'] = async (p) => (await feedbackForFailurePayload(p, deps), report(p));
  return out;
}

const statuses = () => gitlab.statuses.map((s) => `${s.name}=${s.status}`);
const deployments = () =>
  gitlab.deployments.map((d) => `${(d.environment as { name: string }).name}=${d.status}`);

describe('GitLab feedback through the local release workflow', () => {
  it('shows each environment pending → running → success with one deployment each', async () => {
    const run = await runLocalWorkflow(definitionFor(config), input, withFeedback(happyHandlers(config)));
    expect(run.status).toBe('SUCCEEDED');
    expect(statuses()).toEqual([
      'shipgate/staging=pending',
      'shipgate/staging=running',
      'shipgate/staging=success',
      'shipgate/production=pending',
      'shipgate/production=running',
      'shipgate/production=success',
    ]);
    expect(deployments()).toEqual(['staging=success', 'production=success']);
    expect(gitlab.statuses[1]).toMatchObject({
      sha: input.release.commit.sha,
      ref: 'main',
      pipeline_id: 101,
      target_url: expect.stringContaining(
        encodeURIComponent(`execution:shipgate-release:${input.release.id}`),
      ),
    });
    expect(JSON.stringify(gitlab.requests)).not.toContain('fake-task-token');
  });

  it('names who approved production, and how, on its running and success statuses', async () => {
    const handlers = happyHandlers(config);
    // "Approve production" resumes with the task output the vote sends (approvals/vote.ts).
    handlers['Approve production'] = () => ({
      approvalId: 'appr-production',
      approvedBy: ['alice', 'bob'],
      approvedVia: ['gitlab', 'slack'],
      approvedNames: ['Alice', 'Bob'],
      decidedAt: '2026-01-02T03:30:00.000Z',
    });
    const run = await runLocalWorkflow(definitionFor(config), input, withFeedback(handlers));
    expect(run.status).toBe('SUCCEEDED');
    const production = gitlab.statuses.filter((s) => s.name === 'shipgate/production');
    expect(production.map((s) => [s.status, s.description])).toEqual([
      ['pending', 'Waiting for approval to deploy to production'],
      [
        'running',
        expect.stringMatching(/^Approved by Alice, Bob \(@alice via GitLab, @bob via Slack\) · Deploying /),
      ],
      [
        'success',
        'Approved by Alice, Bob (@alice via GitLab, @bob via Slack) · Deployed to production and verified',
      ],
    ]);
  });

  it('marks production and its deployment failed when its smoke checks fail', async () => {
    const handlers = happyHandlers(config);
    handlers['Verify production'] = () => {
      throw stepError('VerifyFailed', 'web: GET /readyz answered 503 five times');
    };
    const run = await runLocalWorkflow(definitionFor(config), input, withFeedback(handlers));
    expect(run.error).toBe('VerifyFailed');
    expect(statuses().slice(-2)).toEqual(['shipgate/production=running', 'shipgate/production=failed']);
    expect(gitlab.statuses.at(-1)?.description).toBe(
      'VerifyFailed: web: GET /readyz answered 503 five times',
    );
    expect(deployments()).toEqual(['staging=success', 'production=failed']);
  });

  it('marks the scan failed when the gate stops the release, and nothing else', async () => {
    const handlers = happyHandlers(config);
    handlers.Scan = () => {
      throw stepError(
        'ScanGateFailed',
        'Scan FAILED: staging (CRITICAL 1 > 0); production (CRITICAL 1 > 0).',
      );
    };
    await runLocalWorkflow(definitionFor(config), input, withFeedback(handlers));
    expect(statuses()).toEqual(['shipgate/scan=failed']);
    expect(gitlab.deployments).toEqual([]);
  });
});
