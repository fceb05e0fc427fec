import { gitlabClient } from '../../../lambdas/domain/gitlab/client';
import { reportDeployment, reportStatus, type FeedbackDeps } from '../../../lambdas/domain/gitlab/feedback';
import { startFakeGitlab, type FakeGitlab } from '../../helpers/fake-gitlab';
import { makeConfig, makeRelease } from '../../fixtures/scanners/release';

let gitlab: FakeGitlab;
const release = makeRelease();
const warnings: { message: string; extra: unknown }[] = [];
const logger = {
  warn: (message: string, extra?: unknown) => warnings.push({ message, extra }),
  debug: () => undefined,
};

/** Short bounds so failure tests stay quick; the shape (tries, timeout, deadline) is what production uses. */
function deps(extra: Partial<FeedbackDeps> = {}): FeedbackDeps {
  return {
    api: gitlabClient({ url: gitlab.url, token: gitlab.token }, 300),
    retry: { attempts: 3, timeoutMs: 300, backoffMs: 20 },
    boundMs: 2000,
    logger,
    ...extra,
  };
}

beforeEach(async () => {
  warnings.length = 0;
  gitlab = await startFakeGitlab();
});
afterEach(() => gitlab.stop());

describe('commit statuses', () => {
  it('sets shipgate/<stage> on the release commit, ref and pipeline, linking to the execution', async () => {
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:shipgate-release:shop-p812-4f1c2e9a7b3d';
    expect(
      await reportStatus(
        release,
        'staging',
        'pending',
        { executionArn: arn, description: 'Waiting for approval' },
        deps(),
      ),
    ).toBe(true);
    const [request] = gitlab.requestsTo('POST', /\/statuses\//);
    expect(request.path).toBe(`/projects/7/statuses/${release.commit.sha}`);
    expect(request.authorized).toBe(true);
    expect(request.body).toEqual({
      state: 'pending',
      name: 'shipgate/staging',
      ref: 'main',
      target_url: expect.stringContaining(encodeURIComponent(arn)),
      description: 'Waiting for approval',
      pipeline_id: 812,
    });
  });

  it('retries a 500 and succeeds on the next try', async () => {
    gitlab.fail({ method: 'POST', path: /\/statuses\//, status: 500, times: 1 });
    expect(await reportStatus(release, 'scan', 'running', {}, deps())).toBe(true);
    expect(gitlab.requestsTo('POST', /\/statuses\//)).toHaveLength(2);
    expect(gitlab.statuses).toEqual([expect.objectContaining({ name: 'shipgate/scan', status: 'running' })]);
    expect(warnings).toEqual([]);
  });

  it('gives up after three tries of a failing GitLab, logs it without the token, and never throws', async () => {
    gitlab.fail({ path: /\/statuses\//, status: 500 });
    await expect(reportStatus(release, 'production', 'success', {}, deps())).resolves.toBe(false);
    expect(gitlab.requestsTo('POST', /\/statuses\//)).toHaveLength(3);
    expect(warnings).toHaveLength(1);
    expect(warnings[0].message).toBe(
      'GitLab commit status shipgate/production failed; continuing without it',
    );
    expect(warnings[0].extra).toMatchObject({ tries: 3, error: expect.stringContaining('HTTP 500') });
    expect(JSON.stringify(warnings)).not.toContain(gitlab.token);
  });

  it('does not stall on a hanging GitLab: bounded by the per-try timeout and the overall bound', async () => {
    gitlab.fail({ path: /\/statuses\//, hang: true });
    const started = Date.now();
    await expect(reportStatus(release, 'scan', 'running', {}, deps({ boundMs: 800 }))).resolves.toBe(false);
    const elapsed = Date.now() - started;
    // Three tries of 300 ms would need 940 ms; the 800 ms bound cuts the last one short.
    expect(elapsed).toBeLessThan(5000);
    expect(warnings[0].extra).toMatchObject({ error: expect.stringMatching(/did not answer|timeout/i) });
  });

  it('does not retry an answer that will not change (a 400 for an invalid transition)', async () => {
    gitlab.fail({ path: /\/statuses\//, status: 400 });
    expect(await reportStatus(release, 'scan', 'running', {}, deps())).toBe(false);
    expect(gitlab.requestsTo('POST', /\/statuses\//)).toHaveLength(1);
  });

  it('is off when the GitLab token or URL is not configured', async () => {
    const config = makeConfig();
    const off = await reportStatus(release, 'scan', 'running', {}, { config, env: {}, logger });
    expect(off).toBe(false);
    const noUrl = await reportStatus(
      release,
      'scan',
      'running',
      {},
      {
        config: makeConfig({ gitlab: {} }),
        env: { SHIPGATE_GITLAB_TOKEN: gitlab.token },
        logger,
      },
    );
    expect(noUrl).toBe(false);
    expect(gitlab.requests).toEqual([]);
    // With both set (URL from the environment overrides the config), it reports.
    const on = await reportStatus(
      release,
      'scan',
      'running',
      {},
      {
        config,
        env: { SHIPGATE_GITLAB_URL: gitlab.url, SHIPGATE_GITLAB_TOKEN: gitlab.token },
        logger,
      },
    );
    expect(on).toBe(true);
  });
});

describe('deployments', () => {
  it('creates a running deployment, then moves it to success without duplicating it', async () => {
    expect(await reportDeployment(release, 'staging', 'running', deps())).toBe(true);
    // A second service of the same release reaching the same point reuses the deployment.
    expect(await reportDeployment(release, 'staging', 'running', deps())).toBe(true);
    expect(gitlab.deployments).toEqual([
      expect.objectContaining({
        sha: release.commit.sha,
        ref: 'main',
        status: 'running',
        environment: { name: 'staging' },
      }),
    ]);
    expect(await reportDeployment(release, 'staging', 'success', deps())).toBe(true);
    expect(gitlab.deployments).toEqual([expect.objectContaining({ status: 'success' })]);
    const create = gitlab.requestsTo('POST', /\/deployments$/)[0];
    expect({ ...create.query, ...create.body }).toMatchObject({
      environment: 'staging',
      sha: release.commit.sha,
      ref: 'main',
      tag: false,
      status: 'running',
    });
  });

  it('records a failure even when no deployment was created before', async () => {
    expect(await reportDeployment(release, 'production', 'failed', deps())).toBe(true);
    expect(gitlab.deployments).toEqual([
      expect.objectContaining({ status: 'failed', environment: { name: 'production' } }),
    ]);
  });

  it('never fails the release when GitLab answers 500 or hangs', async () => {
    gitlab.fail({ path: /\/deployments/, status: 500 });
    await expect(reportDeployment(release, 'staging', 'running', deps())).resolves.toBe(false);
    gitlab.heal();
    gitlab.fail({ path: /\/deployments/, hang: true });
    const started = Date.now();
    await expect(reportDeployment(release, 'staging', 'success', deps({ boundMs: 700 }))).resolves.toBe(
      false,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(gitlab.deployments).toEqual([]);
  });
});
