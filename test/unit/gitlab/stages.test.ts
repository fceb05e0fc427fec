import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import type { FeedbackDeps } from '../../../lambdas/domain/gitlab/feedback';
import { releaseExecutionArn } from '../../../lambdas/domain/gitlab/feedback';
import {
  failedStage,
  feedbackForApprovalPayload,
  feedbackForFailurePayload,
  feedbackForRolloutPayload,
  feedbackForVerifiedPayload,
  feedbackApprovalRequested,
  feedbackFailed,
  feedbackRolloutStarted,
  feedbackVerified,
  approvalWords,
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

  it('cancels a stage refused for deploying over a newer release, and its started deployment', async () => {
    await feedbackRolloutStarted(release, 'staging', 'inventory-app', {}, deps());
    await feedbackFailed(
      {
        release,
        scan: { passed: true },
        approvals: { staging: { approvalId: 'a1' } },
        error: { Error: 'ReleaseSuperseded', Cause: 'already runs release r-newer' },
      },
      deps(),
    );
    expect(statuses()).toEqual(['shipgate/staging=running', 'shipgate/staging=canceled']);
    expect(gitlab.statuses[1].description).toBe('ReleaseSuperseded: already runs release r-newer');
    expect(deployments()).toEqual(['staging=canceled']);
  });

  it('says an approval timed out', async () => {
    await feedbackFailed({ release, scan: { passed: true }, error: { Error: 'States.Timeout' } }, deps());
    expect(gitlab.statuses).toEqual([
      expect.objectContaining({
        name: 'shipgate/staging',
        status: 'failed',
        description: 'Approval timed out',
      }),
    ]);
    expect(gitlab.requestsTo('POST', /\/deployments$/)).toEqual([]);
  });

  it('says which approval expired, with its cause, and creates no deployment', async () => {
    await feedbackFailed(
      {
        release,
        scan: { passed: true },
        error: { Error: 'ApprovalExpired', Cause: 'No decision on staging within 1h' },
      },
      deps(),
    );
    expect(gitlab.statuses).toEqual([
      expect.objectContaining({
        name: 'shipgate/staging',
        status: 'failed',
        description: 'Approval timed out: No decision on staging within 1h',
      }),
    ]);
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

describe('step payload adapters (one line per step handler)', () => {
  const executionArn =
    'arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:shop-p812-4f1c2e9a7b3d';

  it('read the step payloads as the state machine sends them', async () => {
    await feedbackForApprovalPayload(
      {
        taskToken: 'fake-task-token-1',
        executionArn,
        environment: 'production',
        release,
        resolved: {},
        scan: {},
      },
      deps(),
    );
    await feedbackForRolloutPayload(
      {
        taskToken: 'fake-task-token-2',
        executionArn,
        environment: 'production',
        release,
        image: { service: 'inventory-app' },
      },
      deps(),
    );
    await feedbackForVerifiedPayload({ environment: 'production', release, images: [] }, deps());
    expect(statuses()).toEqual([
      'shipgate/production=pending',
      'shipgate/production=running',
      'shipgate/production=success',
    ]);
    expect(deployments()).toEqual(['production=success']);
    expect(gitlab.statuses[0].target_url).toContain(encodeURIComponent(executionArn));
    // Task tokens never reach GitLab.
    expect(JSON.stringify(gitlab.requests)).not.toContain('fake-task-token');
  });

  it('name who approved, and how each was proven, on the running and success statuses', async () => {
    // `$.approvals.production`, the "Approve production" task output as the state machine passes it on.
    const approval = {
      approvalId: 'ap-1',
      approvedBy: ['alice', 'bob'],
      approvedVia: ['gitlab', 'slack'],
      approvedNames: ['Alice', 'Bob'],
      decidedAt: '2026-12-07T04:00:00.000Z',
    };
    const approved = 'Approved by Alice, Bob (@alice via GitLab, @bob via Slack)';
    await feedbackForRolloutPayload(
      { executionArn, environment: 'production', release, image: { service: 'inventory-app' }, approval },
      deps(),
    );
    await feedbackForVerifiedPayload({ environment: 'production', release, images: [], approval }, deps());
    expect(statuses()).toEqual(['shipgate/production=running', 'shipgate/production=success']);
    expect(gitlab.statuses.map((s) => s.description)).toEqual([
      `${approved} · Deploying inventory-app, billing-app to production`,
      `${approved} · Deployed to production and verified`,
    ]);
    // The same words as the chat follow-up (one formatter for both).
    expect(approvalWords(approval)).toBe(approved);
    expect(warn).not.toHaveBeenCalled();
  });

  it('keep the approvers first when the description must be cut to 255 characters (GitLab)', async () => {
    const keys = ['alice', 'bob', ...Array.from({ length: 4 }, (_, i) => `approver-number-${i}`)];
    const approval = { approvedBy: keys, approvedVia: keys.map((_, i) => (i % 2 ? 'slack' : 'gitlab')) };
    await feedbackVerified(release, 'production', { approval }, deps());
    const description = String(gitlab.statuses[0].description);
    expect(Array.from(description)).toHaveLength(255);
    expect(description.startsWith('Approved by alice, bob, approver-number-0')).toBe(true);
    expect(description.endsWith('…')).toBe(true);
    // Usernames stand in for names an older task output did not carry; the words stay the formatter's.
    expect(description).toContain('(@alice via GitLab, @bob via Slack');
  });

  it('say nothing about approvers when the payload has no approval (or one they do not recognise)', async () => {
    await feedbackForVerifiedPayload(
      { environment: 'production', release, images: [], approval: 'not an object' },
      deps(),
    );
    expect(gitlab.statuses.map((s) => s.description)).toEqual(['Deployed to production and verified']);
  });

  it('reports the failure from the release document', async () => {
    await feedbackForFailurePayload(
      { release, error: { Error: 'ScanGateFailed', Cause: 'Scan FAILED: staging (CRITICAL 1 > 0).' } },
      deps(),
    );
    expect(statuses()).toEqual(['shipgate/scan=failed']);
    expect(gitlab.statuses[0].description).toBe('ScanGateFailed: Scan FAILED: staging (CRITICAL 1 > 0).');
  });

  it('ignore payloads they do not recognise, without throwing', async () => {
    await expect(feedbackForApprovalPayload(undefined, deps())).resolves.toBeUndefined();
    await expect(feedbackForRolloutPayload({ release: { id: 'x' } }, deps())).resolves.toBeUndefined();
    await expect(feedbackForFailurePayload('nonsense', deps())).resolves.toBeUndefined();
    expect(gitlab.requests).toEqual([]);
  });

  it('derive the execution link from the state machine ARN when the payload has none', () => {
    expect(
      releaseExecutionArn(release, {
        SHIPGATE_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release',
      }),
    ).toBe(executionArn);
    // The HTTP function holds the alias new releases start through (issue 31).
    expect(
      releaseExecutionArn(release, {
        SHIPGATE_STATE_MACHINE_ARN:
          'arn:aws:states:eu-west-1:123456789012:stateMachine:shipgate-release:live',
      }),
    ).toBe(executionArn);
    expect(releaseExecutionArn(release, {})).toBeUndefined();
  });
});
