import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import type { FeedbackDeps } from '../../../lambdas/domain/gitlab/feedback';
import {
  failedStage,
  feedbackApprovalRequested,
  feedbackFailed,
  feedbackRolloutStarted,
  feedbackVerified,
} from '../../../lambdas/domain/gitlab/stages';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { makeRelease } from '../../fixtures/scanners/release';

let gitlab: FakeGitlab;
const release = makeRelease();
const warn = jest.fn();
const deps = (): FeedbackDeps => ({
  api: gitlabClient({ url: gitlab.url, token: gitlab.token }, 500),
  retry: { attempts: 2, timeoutMs: 500, backoffMs: 10 },
  logger: { warn },
});
const statuses = () => gitlab.statuses.map((s) => `${s.name}=${s.status}`);
const deployments = () =>
  gitlab.deployments.map((d) => `${(d.environment as { name: string }).name}=${d.status}`);

beforeEach(async () => {
  warn.mockClear();
  gitlab = await startFakeGitlab();
});
afterEach(() => gitlab.stop());

describe('GitLab feedback through a release', () => {
  it('shows pending → running → success per environment and one deployment each', async () => {
    const link = { executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:x' };
    await feedbackApprovalRequested(release, 'staging', link, deps());
    // The Map starts one rollout per service; only the first service reports.
    await Promise.all(
      release.services.map((s) => feedbackRolloutStarted(release, 'staging', s, link, deps())),
    );
    await feedbackVerified(release, 'staging', link, deps());
    expect(statuses()).toEqual([
      'shipgate/staging=pending',
      'shipgate/staging=running',
      'shipgate/staging=success',
    ]);
    expect(deployments()).toEqual(['staging=success']);
    expect(gitlab.statuses[1].description).toBe('Deploying inventory-app, billing-app to staging');
    expect(warn).not.toHaveBeenCalled();
  });

  it('treats re-posting the same state (a retried step) as done, without warnings', async () => {
    await feedbackApprovalRequested(release, 'production', {}, deps());
    await feedbackApprovalRequested(release, 'production', {}, deps());
    expect(statuses()).toEqual(['shipgate/production=pending']);
    expect(gitlab.requestsTo('POST', /\/statuses\//)).toHaveLength(2);
    expect(warn).not.toHaveBeenCalled();
  });

  it('marks the stage that failed, and its deployment when the rollout had started', async () => {
    await feedbackRolloutStarted(release, 'staging', 'inventory-app', {}, deps());
    await feedbackFailed(
      {
        release,
        scan: { passed: true },
        approvals: { staging: { approvalId: 'a1' } },
        error: {
          Error: 'RolloutFailed',
          Cause: JSON.stringify({
            errorType: 'RolloutFailed',
            errorMessage: 'billing-app: circuit breaker rolled back to :4',
          }),
        },
      },
      deps(),
    );
    expect(statuses()).toEqual(['shipgate/staging=running', 'shipgate/staging=failed']);
    expect(gitlab.statuses[1].description).toBe(
      'RolloutFailed: billing-app: circuit breaker rolled back to :4',
    );
    expect(deployments()).toEqual(['staging=failed']);
  });

  it('cancels a superseded approval and creates no deployment for it', async () => {
    await feedbackFailed(
      {
        release,
        scan: { passed: true },
        approvals: { staging: {} },
        verify: { staging: { passed: true } },
        error: { Error: 'ApprovalSuperseded', Cause: 'a newer release of root/shop is waiting' },
      },
      deps(),
    );
    expect(statuses()).toEqual(['shipgate/production=canceled']);
    expect(gitlab.requestsTo('POST', /\/deployments$/)).toEqual([]);
  });

  it('attributes failures before any environment to the scan', () => {
    expect(failedStage({ release, error: { Error: 'ImageNotFoundError' } })).toBe('scan');
    expect(failedStage({ release, scan: { passed: false } })).toBe('scan');
    expect(failedStage({ release, scan: { passed: true }, verify: { staging: {} } })).toBe('production');
  });

  it('never throws when GitLab is down', async () => {
    gitlab.fail({ path: /.*/, status: 503 });
    await expect(feedbackVerified(release, 'staging', {}, deps())).resolves.toBeUndefined();
    await expect(
      feedbackFailed({ release, error: { Error: 'ScanGateFailed' } }, deps()),
    ).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalled();
  });
});
