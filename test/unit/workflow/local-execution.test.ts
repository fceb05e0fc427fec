import {
  definitionFor,
  happyHandlers,
  neverAnswers,
  rolloutOutcome,
  runLocalWorkflow,
  stepError,
  testConfig,
  testRelease,
} from '../../helpers/local-workflow';

const input = testRelease();

describe('release workflow executed locally (aws-local-stepfunctions)', () => {
  const config = testConfig();
  const definition = definitionFor(config);

  it('ships a two-environment, three-service release through every stage in order', async () => {
    // GIVEN every step succeeding
    // WHEN the release runs
    const run = await runLocalWorkflow(definition, input, happyHandlers(config));

    // THEN it visits the stages in the brief's order and records the release
    expect(run.status).toBe('SUCCEEDED');
    const topLevel = run.entered.filter((n) => !n.startsWith('Start rollout') && !n.startsWith('Is '));
    expect(topLevel).toEqual([
      'Resolve release',
      'Scan',
      'Approve staging',
      'Check freeze staging',
      'Deploy staging',
      'Verify staging',
      'Approve production',
      'Check freeze production',
      'Deploy production',
      'Verify production',
      'Record release',
    ]);
    expect(run.entered.filter((n) => n === 'Start rollout production')).toHaveLength(3);
    // Standard workflows are billed per transition: this release stays far below 100.
    expect(run.transitions).toBe(19);
    expect(run.transitions).toBeLessThan(100);

    // AND the release document holds each state's small result beside the release
    const out = run.output!;
    expect(Object.keys(out).sort()).toEqual(
      ['approvals', 'deployments', 'freeze', 'record', 'release', 'resolved', 'scan', 'verify'].sort(),
    );
    expect(
      (out.deployments as Record<string, Array<{ service: string }>>).production.map((d) => d.service),
    ).toEqual(['web', 'orders', 'billing']);
    expect(Object.keys(out.approvals as object)).toEqual(['staging', 'production']);
    // AND no task token ever lands in the state output
    expect(JSON.stringify(out)).not.toContain('fake-task-token');
  });

  it('gives every waitForTaskToken Lambda its own task token and the execution ARN', async () => {
    const run = await runLocalWorkflow(definition, input, happyHandlers(config));
    const starts = run.payloads['Start rollout staging'];
    const tokens = starts.map((p) => p.taskToken);
    expect(new Set(tokens).size).toBe(3);
    for (const token of tokens) expect(token).toMatch(/^fake-task-token-\d+$/);
    expect(starts[0]).toMatchObject({
      environment: 'staging',
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:shipgate-release:${input.release.id}`,
      release: input.release,
      // The environment's approval, through the Map's item selector, for the shipgate/<env> status.
      approval: expect.objectContaining({ approvalId: 'appr-staging' }),
    });
    expect(starts.map((p) => (p.image as { service: string }).service).sort()).toEqual([
      'billing',
      'orders',
      'web',
    ]);
    expect(run.payloads['Approve production'][0]).toMatchObject({
      environment: 'production',
      taskToken: expect.any(String),
    });
    expect(run.payloads['Verify production'][0]).toEqual({
      environment: 'production',
      release: input.release,
      images: expect.arrayContaining([expect.objectContaining({ service: 'web' })]),
      approval: expect.objectContaining({ approvalId: 'appr-production', approvedBy: ['ann'] }),
    });
  });

  it('rolls back a failed staging rollout, reports it and never enters production', async () => {
    // GIVEN the orders rollout in staging failing (the circuit breaker rolled it back)
    const handlers = happyHandlers(config);
    handlers['Start rollout staging'] = (p) => {
      if ((p.image as { service: string }).service === 'orders') {
        throw stepError('RolloutFailed', 'orders: deployment failed, ECS rolled back to orders:1');
      }
      return rolloutOutcome('staging', p);
    };
    // WHEN the release runs
    const run = await runLocalWorkflow(definition, input, handlers);

    // THEN it rolls back staging, reports the failure and fails with the rollout's error and cause
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('RolloutFailed');
    expect(run.cause).toBe('orders: deployment failed, ECS rolled back to orders:1');
    // "Roll back staging" is a Map: one "Start rollback staging" per image, each waiting on its task token.
    expect(run.entered.slice(-3)).toEqual(['Start rollback staging', 'Report failure', 'Release failed']);
    expect(run.entered.some((n) => n.includes('production'))).toBe(false);
    expect(run.payloads['Start rollback staging'][0]).toMatchObject({
      environment: 'staging',
      image: { service: expect.any(String) },
      error: { Error: 'RolloutFailed' },
    });
    expect(run.payloads['Start rollback staging'][0]).toHaveProperty('taskToken');
    expect(run.payloads['Report failure'][0]).toMatchObject({ error: { Error: 'RolloutFailed' } });
  });

  it('rolls back production when its smoke checks fail, keeping staging', async () => {
    const handlers = happyHandlers(config);
    handlers['Verify production'] = () => {
      throw stepError('VerifyFailed', 'web: GET /readyz answered 503 five times');
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.error).toBe('VerifyFailed');
    expect(run.entered).toContain('Start rollback production');
    expect(run.entered).not.toContain('Start rollback staging');
    expect(run.payloads['Report failure'][0]).toMatchObject({ verify: { staging: { passed: true } } });
  });

  it('still fails with the original error when the rollback itself fails', async () => {
    const handlers = happyHandlers(config);
    handlers['Verify staging'] = () => {
      throw stepError('VerifyFailed', 'web unhealthy');
    };
    handlers['Start rollback staging'] = () => {
      throw stepError('RollbackFailed', 'rollback of web did not finish');
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.error).toBe('VerifyFailed');
    expect(run.cause).toBe('web unhealthy');
    expect(run.payloads['Report failure'][0]).toMatchObject({ rollbackError: { Error: 'RollbackFailed' } });
  });

  it('stops at a failed scan without asking anyone to approve', async () => {
    const handlers = happyHandlers(config);
    handlers.Scan = () => {
      throw stepError('ScanGateFailed', 'Scan failed: web has 2 CRITICAL findings (limit 0)');
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('ScanGateFailed');
    expect(run.cause).toContain('2 CRITICAL');
    expect(run.entered).toEqual(['Resolve release', 'Scan', 'Report failure', 'Release failed']);
    expect(run.payloads['Approve staging']).toBeUndefined();
  });

  it('stops when an approver rejects, before any rollout', async () => {
    const handlers = happyHandlers(config);
    handlers['Approve staging'] = () => {
      throw stepError('ApprovalRejected', 'Ben rejected staging: wrong build');
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.error).toBe('ApprovalRejected');
    expect(run.entered).not.toContain('Deploy staging');
    expect(run.entered).not.toContain('Start rollback staging');
    expect(run.entered.slice(-2)).toEqual(['Report failure', 'Release failed']);
  });

  it('fails closed with ApprovalExpired, naming the approval, when nobody answers in time', async () => {
    // GIVEN a staging approval timeout of one second and no decision
    const quick = testConfig({ approvalTimeout: '1s' });
    const handlers = happyHandlers(quick);
    handlers['Approve staging'] = neverAnswers;
    const run = await runLocalWorkflow(definitionFor(quick), input, handlers);
    // THEN the console shows which approval expired and why, not a bare States.Timeout
    const cause =
      'No decision on staging within 1s (1 approval needed): the request expired and the gate failed closed. Run a new pipeline for the commit to ask again.';
    expect(run.error).toBe('ApprovalExpired');
    expect(run.cause).toBe(cause);
    expect(run.entered.slice(-3)).toEqual([
      'Approval of staging expired',
      'Report failure',
      'Release failed',
    ]);
    expect(run.entered).not.toContain('Deploy staging');
    expect(run.payloads['Report failure'][0]).toMatchObject({
      error: { Error: 'ApprovalExpired', Cause: cause },
    });
  });

  it('settles a rollout whose event was lost by checking, waiting again, and checking once more', async () => {
    // GIVEN a one-second event grace and no deployment event for web, which is still in progress at the
    // first check and done at the second
    const quick = testConfig({ eventGrace: '1s' });
    const handlers = happyHandlers(quick);
    const start = handlers['Start rollout staging'];
    handlers['Start rollout staging'] = (p) =>
      (p.image as { service: string }).service === 'web' ? neverAnswers(p) : start(p);
    handlers['Await rollout staging'] = neverAnswers;
    let checks = 0;
    handlers['Check rollout staging'] = (p) => {
      checks += 1;
      return checks === 1
        ? { settled: false, elapsedSeconds: 1 }
        : { settled: true, outcome: rolloutOutcome('staging', p) };
    };
    const run = await runLocalWorkflow(definitionFor(quick), input, handlers);

    expect(run.status).toBe('SUCCEEDED');
    const webPath = run.entered.filter((n) => /rollout staging|Rollout staging/.test(n));
    expect(webPath).toEqual(
      expect.arrayContaining([
        'Check rollout staging',
        'Rollout staging settled?',
        'Await rollout staging',
        'Rollout staging done',
      ]),
    );
    expect(run.entered.filter((n) => n === 'Check rollout staging')).toHaveLength(2);
    const web = (run.output!.deployments as Record<string, Array<{ service: string; status: string }>>)
      .staging[0];
    expect(web).toMatchObject({ service: 'web', status: 'COMPLETED' });
  });

  it('fails a rollout that stays stuck past the rollout timeout', async () => {
    const quick = testConfig({ eventGrace: '1s' });
    const handlers = happyHandlers(quick);
    handlers['Start rollout staging'] = neverAnswers;
    handlers['Check rollout staging'] = () => {
      throw stepError('RolloutStuck', 'web has been rolling out for 31 minutes (limit 30m)');
    };
    const run = await runLocalWorkflow(definitionFor(quick), input, handlers);
    expect(run.error).toBe('RolloutStuck');
    expect(run.entered).toContain('Start rollback staging');
  });

  it('waits for a deploy freeze to end before rolling out', async () => {
    const handlers = happyHandlers(config);
    let calls = 0;
    handlers['Check freeze production'] = () => {
      calls += 1;
      // A window that already ended keeps the Wait state instant.
      return calls === 1
        ? { frozen: true, until: '2020-01-06T07:00:00Z', reason: 'Weekend freeze' }
        : { frozen: false };
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.status).toBe('SUCCEEDED');
    const i = run.entered.indexOf('Wait for production freeze to end');
    expect(i).toBeGreaterThan(run.entered.indexOf('Approve production'));
    expect(run.entered[i + 1]).toBe('Check freeze production');
    expect(run.entered.indexOf('Deploy production')).toBeGreaterThan(i);
  });

  it('refuses to deploy into a freeze with no known end', async () => {
    const handlers = happyHandlers(config);
    handlers['Check freeze staging'] = () => ({ frozen: true, reason: 'Incident' });
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.error).toBe('DeployFrozen');
    expect(run.entered).not.toContain('Deploy staging');
  });

  it('reports an image that cannot be resolved before the scan', async () => {
    const handlers = happyHandlers(config);
    handlers['Resolve release'] = () => {
      throw stepError('ImageNotFoundError', 'No image tagged c0ffee… in ECR repository "acme/web"');
    };
    const run = await runLocalWorkflow(definition, input, handlers);
    expect(run.error).toBe('ImageNotFoundError');
    expect(run.entered).toEqual(['Resolve release', 'Report failure', 'Release failed']);
  });
});
